"""Pausing a running flow run until a person (or the API) resumes it, optionally with
input. `pause` keeps the run's process waiting; `suspend` ends the process and reschedules
the run on resume, reusing its completed task runs. Used by the SDK, the orchestration
service, the API and the monitor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from legato.errors import Conflict


class PauseKind(StrEnum):
    """How a paused run waits: its process blocks (`pause`) or exits (`suspend`)."""

    PAUSE = "pause"
    SUSPEND = "suspend"


class InputStatus(StrEnum):
    """Where a pause's request for input stands."""

    PENDING = "pending"
    RESPONDED = "responded"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class PauseRequest:
    """What a flow run asks for when it pauses: `key` names the pause point inside the run
    (stable across re-executions), `schema` is the JSON schema its input must match (None:
    no input, just resume), `deadline` is when an unanswered pause fails the run."""

    key: str
    kind: PauseKind
    deadline: datetime
    schema: dict[str, Any] | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class RunInputRecord:
    """A stored pause point of a flow run and, once resumed, the input it was given."""

    flow_run_id: str
    key: str
    kind: PauseKind
    status: InputStatus
    deadline: datetime
    created: datetime
    schema: dict[str, Any] | None = None
    description: str | None = None
    value: Any = None
    responded: datetime | None = None


class PauseNotPending(Conflict):
    """A resume named a flow run that is not waiting at a pause point."""


MAX_KEY = 255
PAUSE_MESSAGE = "paused: waiting to be resumed"
SUSPEND_MESSAGE = "suspended: waiting to be resumed"
RESUME_MESSAGE = "resumed"
PAUSE_TIMEOUT_MESSAGE = "pause timed out"


def pause_message(request: PauseRequest) -> str:
    """The state message of a run paused at `request`, e.g. for the runs list."""
    base = PAUSE_MESSAGE if request.kind is PauseKind.PAUSE else SUSPEND_MESSAGE
    wants = " for input" if request.schema is not None else ""
    detail = f" ({request.description})" if request.description else ""
    return f"{base}{wants} at {request.key!r}{detail}"


def expired_message(record: RunInputRecord) -> str:
    """Why a run failed whose pause was not answered in time."""
    return (
        f"the run was {'suspended' if record.kind is PauseKind.SUSPEND else 'paused'} at "
        f"{record.key!r} and not resumed before its deadline "
        f"({record.deadline.isoformat(timespec='seconds')})"
    )
