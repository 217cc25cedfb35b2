"""Work queues and concurrency limits as plain records, the keys of the slots runs hold
against limits, and the checks that need no database. Shared by orchestration, the wire
schema and the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from legato.errors import DefinitionError

# The concurrency-limit tag that limits every flow run, whatever its tags.
GLOBAL_TAG = "*"
# Bounds of a priority (queues and runs): higher is claimed first, 0 is the default.
MIN_PRIORITY = -1_000_000
MAX_PRIORITY = 1_000_000
TIMEOUT_PREFIX = "timed out after "


@dataclass(frozen=True, slots=True)
class WorkQueueRecord:
    """A stored work queue. A queue nobody stored behaves as priority 0, no limit, active.

    >>> WorkQueueRecord("etl", 10, None, False, None, now, now).priority
    10
    """

    name: str
    priority: int
    concurrency_limit: int | None
    paused: bool
    description: str | None
    created: datetime
    updated: datetime


@dataclass(frozen=True, slots=True)
class SlotHolder:
    """A flow run holding a slot of a limit, until `expires_at` unless its lease is renewed."""

    flow_run_id: str
    acquired_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class ConcurrencyLimitRecord:
    """A limit on how many flow runs carrying `tag` ("*": any run) may be claimed at once,
    with the runs holding its slots now."""

    tag: str
    limit: int
    created: datetime
    updated: datetime
    holders: tuple[SlotHolder, ...] = ()

    @property
    def in_use(self) -> int:
        return len(self.holders)


def tag_key(tag: str) -> str:
    """The slot key of a tag's concurrency limit."""
    return f"tag:{tag}"


def task_tag_key(tag: str) -> str:
    """The slot key a task run carrying `tag` holds while RUNNING; task runs and flow runs
    count separately against a tag's limit, so a flow run never waits on its own tasks."""
    return f"task-tag:{tag}"


@dataclass(frozen=True, slots=True)
class TaskSlotGrant:
    """The answer to a task run asking for slots: acquired (one slot of every limited tag,
    all or none), or not, with the tags whose limit was full.

    >>> TaskSlotGrant(False, ("db",)).acquired
    False
    """

    acquired: bool
    blocked_by: tuple[str, ...] = ()


def deployment_key(deployment_id: str) -> str:
    """The slot key of a deployment's max_active_runs."""
    return f"deployment:{deployment_id}"


def queue_key(queue: str) -> str:
    """The slot key of a work queue's concurrency limit."""
    return f"queue:{queue}"


def timeout_message(seconds: float) -> str:
    """The reason a run that ran past its deployment's timeout ends with.

    >>> timeout_message(30.0)
    'timed out after 30 s'
    """
    shown = f"{seconds:g}" if seconds != int(seconds) else str(int(seconds))
    return f"{TIMEOUT_PREFIX}{shown} s"


def is_timeout_message(message: str | None) -> bool:
    """Whether a CANCELLING run's message says the monitor stopped it for its timeout."""
    return message is not None and message.startswith(TIMEOUT_PREFIX)


def check_limit(what: str, value: object, *, allow_none: bool = False) -> int | None:
    """A slot count of 0 or more (0 holds every run back); DefinitionError otherwise."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise DefinitionError(
            f"{what} got limit {value!r}; use a whole number of 0 or more "
            "(0 holds every run back)."
        )
    return value


def check_priority(what: str, value: object) -> int:
    """A priority between MIN_PRIORITY and MAX_PRIORITY; DefinitionError otherwise."""
    if (isinstance(value, bool) or not isinstance(value, int)
            or not MIN_PRIORITY <= value <= MAX_PRIORITY):
        raise DefinitionError(
            f"{what} got priority {value!r}; use a whole number from {MIN_PRIORITY} to "
            f"{MAX_PRIORITY} (higher is claimed first)."
        )
    return value


def check_name(what: str, value: object) -> str:
    """A queue name or tag: 1 to 255 characters, no control characters or '/'."""
    if (not isinstance(value, str) or not value.strip() or len(value) > 255
            or "/" in value or any(ord(c) < 32 for c in value)):
        raise DefinitionError(
            f"{what} {value!r} is not a usable name; use 1 to 255 characters without '/' "
            "or control characters."
        )
    return value
