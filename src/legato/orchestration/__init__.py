"""legato.orchestration"""
