"""legato.integrations"""
