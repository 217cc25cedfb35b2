"""The `legato` command line: the composition root that reads settings, picks the backend and
calls the SDK runtime. The only package that imports click."""
