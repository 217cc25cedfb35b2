"""legato.sdk"""
