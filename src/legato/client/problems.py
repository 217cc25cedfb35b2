"""Turns an API error response (RFC 9457 problem+json, or whatever a proxy sent) back into
the matching error of `legato.errors`, keeping the server's one-sentence detail."""

from __future__ import annotations

from typing import Any

import orjson

from legato.errors import (
    BackendUnavailable,
    ConfigError,
    Conflict,
    LegatoError,
    NotFound,
    ParameterError,
    PermissionDenied,
    StaleEpoch,
    StateTransitionError,
    TooManyAttempts,
    Unauthenticated,
)

PROBLEM_BASE = "urn:legato:problem:"

_BY_SLUG: dict[str, type[LegatoError]] = {
    "not-found": NotFound,
    "conflict": Conflict,
    "state-transition": StateTransitionError,
    "stale-epoch": StaleEpoch,
    "invalid-request": ParameterError,
    "payload-too-large": ParameterError,
    "backend-unavailable": BackendUnavailable,
    "unauthenticated": Unauthenticated,
    "forbidden": PermissionDenied,
    "server-config": ConfigError,
}
_BY_STATUS: dict[int, type[LegatoError]] = {
    400: ParameterError,
    404: NotFound,
    409: Conflict,
    401: Unauthenticated,
    403: PermissionDenied,
    413: ParameterError,
    422: ParameterError,
    502: BackendUnavailable,
    503: BackendUnavailable,
    504: BackendUnavailable,
}


def _problem_body(content: bytes) -> dict[str, Any]:
    try:
        body = orjson.loads(content)
    except orjson.JSONDecodeError:
        return {}
    return body if isinstance(body, dict) else {}


def _field_errors(body: dict[str, Any]) -> list[tuple[str, str]]:
    errors = body.get("errors")
    if not isinstance(errors, list):
        return []
    return [
        (str(item.get("field", "")), str(item.get("detail", "")))
        for item in errors
        if isinstance(item, dict)
    ]


def _retry_after(body: dict[str, Any]) -> int:
    value = body.get("retry_after")
    return value if isinstance(value, int) and value > 0 else 1


def error_from_response(status: int, content: bytes, where: str) -> LegatoError:
    """The Legato error for a non-2xx response of `where` (method and URL)."""
    body = _problem_body(content)
    problem_type = str(body.get("type", ""))
    slug = problem_type.removeprefix(PROBLEM_BASE) if problem_type.startswith(PROBLEM_BASE) else ""
    error_class = _BY_SLUG.get(slug) or _BY_STATUS.get(status) or LegatoError
    detail = body.get("detail")
    if isinstance(detail, str) and detail and slug and slug != "internal-error":
        message = detail
    else:
        message = (
            f"the API answered {where} with HTTP {status}"
            + (f" ({detail})" if isinstance(detail, str) and detail else "")
            + "; check the server log and that client and server run the same Legato version."
        )
    if error_class is ParameterError:
        return ParameterError(message, _field_errors(body))
    if status == 429:
        return TooManyAttempts(message, _retry_after(body))
    error = error_class(message)
    refused = body.get("refused")
    if isinstance(refused, dict):
        error.refused = {str(k): str(v) for k, v in refused.items()}  # type: ignore[attr-defined]
    return error
