"""Shared pieces of the route modules: the backend of the app, validated path and query
parameters, and the problem responses every route may return (for the OpenAPI document)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Path, Request

from legato.core.backend import Backend
from legato.errors import BackendUnavailable
from legato.schemas.api import PROBLEM_CONTENT_TYPE, ProblemModel
from legato.schemas.fields import ID_PATTERN, MAX_ID
from legato.server.idempotency import IdempotencyCache
from legato.store.database import Database


def _backend(request: Request) -> Backend:
    backend: Backend = request.app.state.backend
    return backend


def _idempotency(request: Request) -> IdempotencyCache:
    cache: IdempotencyCache = request.app.state.idempotency
    return cache


def database(request: Request) -> Database:
    """The server's database; BackendUnavailable (503) when the app has none."""
    db: Database | None = request.app.state.db
    if db is None:
        raise BackendUnavailable(
            f"this API server has no database to answer {request.url.path}; run `legato "
            "server` over a SQLite or PostgreSQL database."
        )
    return db


BackendDep = Annotated[Backend, Depends(_backend)]
# The server's database, for the read views of the UI that no Backend method covers.
DatabaseDep = Annotated[Database, Depends(database)]
IdempotencyDep = Annotated[IdempotencyCache, Depends(_idempotency)]
FlowRunId = Annotated[
    str, Path(pattern=ID_PATTERN, max_length=MAX_ID, description="A flow run id.")
]
RunId = Annotated[
    str, Path(pattern=ID_PATTERN, max_length=MAX_ID, description="A flow run or task run id.")
]
FlowVersionId = Annotated[
    str, Path(pattern=ID_PATTERN, max_length=MAX_ID, description="A flow version id.")
]


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "model": ProblemModel,
        "content": {
            PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemModel"}}
        },
    }


PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: _problem("Credentials are missing or not valid (authentication is on)."),
    403: _problem("The credentials' role may not do this, or the CSRF header is missing."),
    413: _problem("The request body is larger than the server allows."),
    422: _problem("The request is invalid; `errors` lists every bad field."),
    500: _problem("The server failed; the details are in its log."),
    503: _problem("The database is unreachable; retry after Retry-After seconds."),
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: _problem("The object does not exist.")}
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: _problem("The request conflicts with what is stored.")
}
NOT_FOUND_OR_CONFLICT: dict[int | str, dict[str, Any]] = {**NOT_FOUND, **CONFLICT}
TOO_MANY_ATTEMPTS: dict[int | str, dict[str, Any]] = {
    429: _problem("Too many failed sign-ins; wait `retry_after` seconds.")
}
