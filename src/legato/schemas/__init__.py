"""legato.schemas"""
