"""The Python client of Legato's REST API: `http.HttpBackend` speaks the Backend protocol to a
server, so flows and workers run against it exactly as they do in-process."""
