"""Legato's one exception tree. Every error a user can see derives from LegatoError.

A message is one sentence: what happened, which object, and the fix.
"""

from __future__ import annotations

from collections.abc import Sequence


class LegatoError(Exception):
    """Base of every error Legato raises on purpose."""


class DefinitionError(LegatoError):
    """A flow or task is defined wrongly (bad decorator option, cyclic dependency)."""


class ManifestError(LegatoError):
    """A YAML workflow manifest is invalid; the message carries file:line:col."""

    def __init__(self, message: str, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        # every problem found, one `file:line:col: key: message; fix` line each
        self.problems: list[str] = list(problems) or [message]


class ParameterError(LegatoError):
    """Parameters failed validation; `errors` lists every bad field."""

    def __init__(self, message: str, errors: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__(message)
        self.errors: list[tuple[str, str]] = list(errors)


class StateTransitionError(LegatoError):
    """A state change is not allowed by the state machine (or was fenced off)."""


class NotFound(LegatoError):
    """A run, flow, result or other object does not exist."""


class Conflict(LegatoError):
    """The request conflicts with what is stored (duplicate, stale epoch, wrong state)."""


class StaleEpoch(Conflict):
    """A write came from a worker whose lease on the run is no longer current (fencing)."""


class ConfigError(LegatoError):
    """A setting or environment variable has a bad value."""


class BackendUnavailable(LegatoError):
    """The database or API server cannot be reached right now; retrying later may work."""


class UserCodeError(LegatoError):
    """User code could not be loaded or called (missing file, unknown flow, corrupt result)."""


class ResultError(LegatoError):
    """A stored result is missing or cannot be read back."""


class TaskTimeoutError(LegatoError, TimeoutError):
    """A task or flow attempt ran past its timeout_seconds."""


class UpstreamFailed(LegatoError):
    """A task did not run because a task it depends on did not complete."""


class CancelledRun(BaseException):
    """Raised inside a run that is being cancelled; derives from BaseException so
    `except Exception` in user code cannot swallow it."""


class Suspended(BaseException):
    """Raised by suspend_flow_run to end the flow run's process once the run is PAUSED;
    a BaseException so `except Exception` in user code cannot swallow it."""


class PauseTimeout(LegatoError):
    """A paused flow run was not resumed before its timeout."""


class Abort(LegatoError):
    """Raised by the orchestration layer to stop a run it no longer owns (fencing)."""


class AuthError(LegatoError):
    """A request was refused by authentication or authorization."""


class Unauthenticated(AuthError):
    """No valid credentials: missing, unknown, expired or revoked token or session."""


class PermissionDenied(AuthError):
    """The credentials are valid but their role may not do this."""


class TooManyAttempts(AuthError):
    """Too many failed sign-ins in a short time; `retry_after` says when to try again."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
