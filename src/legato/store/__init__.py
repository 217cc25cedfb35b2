"""legato.store"""
