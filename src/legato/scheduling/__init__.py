"""legato.scheduling"""
