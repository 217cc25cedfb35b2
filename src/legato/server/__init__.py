"""The API server: `app.create_app(backend)` builds the FastAPI application (REST API under
/api/v1) and `runner.serve` runs it with uvicorn. Only this package imports FastAPI/uvicorn."""
