"""legato.workers"""
