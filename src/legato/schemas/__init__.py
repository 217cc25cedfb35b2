"""Pydantic wire models of the REST API: the one schema shared by `legato.server` and
`legato.client`, with conversions to and from the plain records of `legato.core.records`."""
