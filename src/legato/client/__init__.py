"""legato.client"""
