"""Request and response bodies of the REST API that are not records: registration, state
changes, cache entries, pages, counts, health and problem details (RFC 9457)."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import Field

from legato.core.states import StateType

# Defined without pydantic (a run's process uses them without the models); named here too.
from legato.core.wire import DEFAULT_LOG_PAGE as DEFAULT_LOG_PAGE
from legato.core.wire import DEFAULT_PAGE as DEFAULT_PAGE
from legato.core.wire import IDEMPOTENCY_HEADER as IDEMPOTENCY_HEADER
from legato.core.wire import MAX_LOG_PAGE as MAX_LOG_PAGE
from legato.core.wire import MAX_PAGE as MAX_PAGE
from legato.schemas.fields import MAX_INT, Id, Key, Name, Path, Source, Text, Timestamp
from legato.schemas.records import (
    EdgeModel,
    FlowRunModel,
    LogModel,
    ResultRefModel,
    StateEventRecordModel,
    TaskRunModel,
    WireModel,
)

API_PREFIX = "/api/v1"
PROBLEM_CONTENT_TYPE = "application/problem+json"

T = TypeVar("T")


class RegisterFlowVersionBody(WireModel):
    """A flow definition to store (idempotent on flow_name + source_hash)."""

    flow_name: Name
    source: Source
    source_hash: str = Field(min_length=1, max_length=128)
    entrypoint: Path | None = None


class FlowVersionIdModel(WireModel):
    """The id of a registered flow version."""

    id: Id


class SetStateBody(WireModel):
    """A proposed flow-run state; `force` skips the state machine (mark-as)."""

    state: StateType
    message: Text | None = None
    result: ResultRefModel | None = None
    force: bool = False
    # A worker's lease epoch: the change is refused (409 stale-epoch) unless it is current.
    epoch: int | None = Field(default=None, ge=0, le=MAX_INT)


class CacheWriteBody(WireModel):
    """A cached result to store (or replace) under a key."""

    key: Key
    result: ResultRefModel
    expires: Timestamp | None = None


class CacheEntryModel(WireModel):
    """The cached result for a key, or null when missing or expired."""

    result: ResultRefModel | None


class Page(WireModel, Generic[T]):
    """One page of a list; `next_offset` is null on the last page."""

    items: list[T]
    next_offset: int | None


class FlowRunPage(Page[FlowRunModel]):
    """A page of flow runs, newest first. Pass `next_cursor` as `cursor` to read the next
    page (null on the last page); `next_offset` serves clients that page by offset."""

    next_cursor: str | None = None


class TaskRunPage(Page[TaskRunModel]):
    """A page of a flow run's task runs, in creation order."""


class StateEventPage(Page[StateEventRecordModel]):
    """A page of a run's state events, oldest first."""


class EdgePage(Page[EdgeModel]):
    """A page of a flow run's task dependencies."""


class LogPage(WireModel):
    """Log lines with id > after_id; pass `next_after_id` to read on (null: no more now)."""

    items: list[LogModel]
    next_after_id: int | None


class TaskRunCountsModel(WireModel):
    """How many task runs of a flow run are in each state."""

    counts: dict[StateType, int]


class HealthModel(WireModel):
    """Liveness or readiness."""

    status: str


class ProblemFieldError(WireModel):
    """One invalid field of a request: where it is and what is wrong with it."""

    field: str
    detail: str


class ProblemModel(WireModel):
    """An RFC 9457 problem details document (`application/problem+json`)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[ProblemFieldError] | None = None
    refused: dict[str, str] | None = None
    # Seconds to wait before trying again (429 too-many-attempts), as in Retry-After.
    retry_after: int | None = None
