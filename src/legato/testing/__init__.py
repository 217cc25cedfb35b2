"""legato.testing"""
