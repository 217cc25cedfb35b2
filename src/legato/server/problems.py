"""The one mapping from errors to RFC 9457 problem+json responses: Legato's error tree,
request validation, HTTP errors and anything unexpected (500, traceback logged, not sent)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from legato.errors import (
    BackendUnavailable,
    ConfigError,
    Conflict,
    DefinitionError,
    LegatoError,
    ManifestError,
    NotFound,
    ParameterError,
    PermissionDenied,
    StaleEpoch,
    StateTransitionError,
    TooManyAttempts,
    Unauthenticated,
)
from legato.schemas.api import PROBLEM_CONTENT_TYPE, ProblemFieldError, ProblemModel

_log = logging.getLogger("legato.server")

PROBLEM_BASE = "urn:legato:problem:"
RETRY_AFTER_SECONDS = "1"

# (error class, HTTP status, problem slug, title), most specific first.
ERROR_PROBLEMS: Sequence[tuple[type[LegatoError], int, str, str]] = (
    (NotFound, 404, "not-found", "Not found"),
    (StateTransitionError, 409, "state-transition", "State transition refused"),
    (StaleEpoch, 409, "stale-epoch", "Stale lease epoch"),
    (Conflict, 409, "conflict", "Conflict"),
    (ParameterError, 422, "invalid-request", "Invalid request"),
    (DefinitionError, 422, "invalid-request", "Invalid request"),
    (ManifestError, 422, "invalid-request", "Invalid request"),
    (BackendUnavailable, 503, "backend-unavailable", "Backend unavailable"),
    (Unauthenticated, 401, "unauthenticated", "Unauthenticated"),
    (PermissionDenied, 403, "forbidden", "Forbidden"),
    (TooManyAttempts, 429, "too-many-attempts", "Too many attempts"),
    # The server's own settings are wrong (e.g. no key decrypts a secret): say which to fix.
    (ConfigError, 500, "server-config", "Server misconfigured"),
)


class ProblemResponse(Response):
    """A problem details document with the `application/problem+json` media type."""

    media_type = PROBLEM_CONTENT_TYPE

    def __init__(self, problem: ProblemModel, headers: dict[str, str] | None = None) -> None:
        body = problem.model_dump_json(exclude_none=True).encode()
        super().__init__(body, status_code=problem.status, headers=headers)


def problem(
    request: Request | None,
    status: int,
    slug: str | None,
    title: str,
    detail: str,
    **extra: Any,
) -> ProblemResponse:
    """A problem response; `slug` None means a plain HTTP error (type about:blank)."""
    model = ProblemModel(
        type=PROBLEM_BASE + slug if slug else "about:blank",
        title=title,
        status=status,
        detail=detail,
        instance=request.url.path if request is not None else None,
        **extra,
    )
    headers = {"Retry-After": RETRY_AFTER_SECONDS} if status == 503 else None
    return ProblemResponse(model, headers)


def from_legato_error(request: Request, error: LegatoError) -> ProblemResponse:
    """The problem for an error of Legato's tree; unknown kinds are a generic 500."""
    for error_class, status, slug, title in ERROR_PROBLEMS:
        if isinstance(error, error_class):
            extra: dict[str, Any] = {}
            if isinstance(error, ParameterError) and error.errors:
                extra["errors"] = [
                    ProblemFieldError(field=field, detail=detail) for field, detail in error.errors
                ]
            if isinstance(error, ManifestError) and error.problems:
                # one entry per problem: the place (file:line:col) and what to fix
                extra["errors"] = [
                    ProblemFieldError(field=where, detail=detail or where)
                    for where, _, detail in (p.partition(": ") for p in error.problems)
                ]
            if isinstance(error, TooManyAttempts):
                extra["retry_after"] = error.retry_after
            refused = getattr(error, "refused", None)
            if isinstance(refused, dict):
                extra["refused"] = {str(k): str(v) for k, v in refused.items()}
            response = problem(request, status, slug, title, str(error), **extra)
            if isinstance(error, Unauthenticated):
                response.headers["WWW-Authenticate"] = 'Bearer realm="legato"'
            if isinstance(error, TooManyAttempts):
                response.headers["Retry-After"] = str(error.retry_after)
            return response
    return unexpected(request, error)


def unexpected(request: Request, error: BaseException) -> ProblemResponse:
    """A 500 that says nothing about the cause; the traceback goes to the server log."""
    _log.error(
        "unexpected error serving %s %s",
        request.method,
        request.url.path,
        exc_info=(type(error), error, error.__traceback__),
    )
    return problem(
        request,
        500,
        "internal-error",
        "Internal server error",
        "the server failed to handle the request; see the server log for details and report "
        "it if it persists.",
    )


def _field(loc: Sequence[int | str]) -> str:
    return ".".join(str(part) for part in loc)


def from_validation_error(request: Request, error: RequestValidationError) -> ProblemResponse:
    """A 422 listing every invalid field (location and message, never the input)."""
    errors = [
        ProblemFieldError(field=_field(item.get("loc", ())), detail=str(item.get("msg", "")))
        for item in error.errors()
    ]
    fields = ", ".join(sorted({e.field for e in errors})) or "the request"
    return problem(
        request,
        422,
        "invalid-request",
        "Invalid request",
        f"{len(errors)} field(s) of the request are invalid ({fields}); fix them and retry.",
        errors=errors,
    )


def from_http_error(request: Request, error: HTTPException) -> ProblemResponse:
    """Routing and protocol errors (404 unknown path, 405, 413) as problems."""
    if error.status_code == 400:
        # FastAPI's only 400: a body json.loads could not parse (e.g. nested too deeply).
        return problem(
            request,
            422,
            "invalid-request",
            "Invalid request",
            "the request body could not be parsed as JSON (malformed or nested too deeply); "
            "send one valid JSON document.",
        )
    slug = "payload-too-large" if error.status_code == 413 else None
    title = {404: "Not found", 405: "Method not allowed", 413: "Payload too large"}.get(
        error.status_code, "HTTP error"
    )
    detail = str(error.detail) if error.detail else title
    response = problem(request, error.status_code, slug, title, detail)
    for name, value in (error.headers or {}).items():
        response.headers[name] = value
    return response


def install_problem_handlers(app: FastAPI) -> None:
    """Route every error raised while serving a request through the mapping above."""

    async def on_legato_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LegatoError)
        return from_legato_error(request, exc)

    async def on_validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return from_validation_error(request, exc)

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return from_http_error(request, exc)

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        return unexpected(request, exc)

    app.add_exception_handler(LegatoError, on_legato_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(HTTPException, on_http_error)
    app.add_exception_handler(Exception, on_unexpected)
