"""legato.manifests"""
