"""legato.server"""
