"""Wire models for work queues and concurrency limits: create and change queues, set limits
by tag, and read each limit's slots (in use, limit, holders) for the CLI and the UI."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from legato.core.limits import (
    MAX_PRIORITY,
    MIN_PRIORITY,
    ConcurrencyLimitRecord,
    SlotHolder,
    WorkQueueRecord,
)
from legato.schemas.fields import MAX_INT, Id, Name, Text, Timestamp
from legato.schemas.records import WireModel

# Higher is claimed first; 0 is the default.
Priority = Annotated[int, Field(ge=MIN_PRIORITY, le=MAX_PRIORITY)]
# 0 holds every run back.
Slots = Annotated[int, Field(ge=0, le=MAX_INT)]


class WorkQueueCreateBody(WireModel):
    """A work queue to store. Workers serving several queues claim from higher-priority
    queues first; `concurrency_limit` caps its runs going at once; a paused queue is not
    claimed from."""

    name: Name
    priority: Priority = 0
    concurrency_limit: Slots | None = None
    paused: bool = False
    description: Text | None = None


class WorkQueueUpdateBody(WireModel):
    """Fields to change; those left out keep their value, `concurrency_limit: null` drops
    the limit."""

    priority: Priority | None = None
    concurrency_limit: Slots | None = None
    paused: bool | None = None
    description: Text | None = None


class WorkQueueModel(WireModel):
    """A stored work queue."""

    name: Name
    priority: int
    concurrency_limit: int | None
    paused: bool
    description: Text | None
    created: Timestamp
    updated: Timestamp
    # SCHEDULED runs of the queue that are due (waiting for a worker) and due later.
    pending_runs: int = Field(default=0, ge=0)
    upcoming_runs: int = Field(default=0, ge=0)
    # False for a queue deployments use that nobody stored (priority 0, no limit, active).
    stored: bool = True

    @classmethod
    def from_record(
        cls, record: WorkQueueRecord, *, backlog: tuple[int, int] = (0, 0), stored: bool = True
    ) -> WorkQueueModel:
        return cls(
            name=record.name, priority=record.priority,
            concurrency_limit=record.concurrency_limit, paused=record.paused,
            description=record.description, created=record.created, updated=record.updated,
            pending_runs=backlog[0], upcoming_runs=backlog[1], stored=stored,
        )


class WorkQueueList(WireModel):
    """Every stored work queue, highest priority first."""

    items: list[WorkQueueModel]


class ConcurrencyLimitBody(WireModel):
    """Create the limit of a tag ("*": every flow run), or change its slot count."""

    tag: Name
    limit: Slots


class SlotHolderModel(WireModel):
    """A flow run holding a slot until its lease expires (renewed while it heartbeats)."""

    flow_run_id: Id
    acquired_at: Timestamp
    expires_at: Timestamp

    @classmethod
    def from_record(cls, record: SlotHolder) -> SlotHolderModel:
        return cls(flow_run_id=record.flow_run_id, acquired_at=record.acquired_at,
                   expires_at=record.expires_at)


class ConcurrencyLimitModel(WireModel):
    """A tag's limit: slots in use of `limit`, and who holds them."""

    tag: Name
    limit: int
    in_use: int
    holders: list[SlotHolderModel]
    created: Timestamp
    updated: Timestamp

    @classmethod
    def from_record(cls, record: ConcurrencyLimitRecord) -> ConcurrencyLimitModel:
        return cls(
            tag=record.tag, limit=record.limit, in_use=record.in_use,
            holders=[SlotHolderModel.from_record(h) for h in record.holders],
            created=record.created, updated=record.updated,
        )


class ConcurrencyLimitList(WireModel):
    """Every concurrency limit, by tag."""

    items: list[ConcurrencyLimitModel]


# -- task-run slots ---------------------------------------------------------------------
# A waiting acquire answers well within the client's request timeout.
MAX_SLOT_WAIT_SECONDS = 20.0
MAX_SLOT_LEASE_SECONDS = 86_400.0
MAX_SLOT_TAGS = 100
MAX_RENEW = 10_000


class LimitedTagsModel(WireModel):
    """Every tag that has a concurrency limit."""

    tags: list[Name]


class TaskSlotBody(WireModel):
    """A task run about to be RUNNING asks for a slot of each limited tag it carries."""

    task_run_id: Id
    flow_run_id: Id
    tags: list[Name] = Field(max_length=MAX_SLOT_TAGS)
    lease_seconds: float = Field(gt=0, le=MAX_SLOT_LEASE_SECONDS)
    wait_seconds: float = Field(default=0.0, ge=0, le=MAX_SLOT_WAIT_SECONDS)


class TaskSlotGrantModel(WireModel):
    """Acquired (every limited tag's slot), or not with the tags whose limit was full."""

    acquired: bool
    blocked_by: list[Name] = Field(default_factory=list)


class TaskSlotRenewBody(WireModel):
    """Task runs still RUNNING extend their slots."""

    task_run_ids: list[Id] = Field(max_length=MAX_RENEW)
    lease_seconds: float = Field(gt=0, le=MAX_SLOT_LEASE_SECONDS)


class TaskSlotRenewModel(WireModel):
    renewed: int
