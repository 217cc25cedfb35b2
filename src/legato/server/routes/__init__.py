"""The REST API's routers, one module per resource; `legato.server.app` mounts them under
/api/v1."""
