"""legato.cli"""
