"""Plain records that cross the Backend boundary: what is stored about flows, runs, task
runs, results, state events and logs, and the batches the engine writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from legato.core.states import StateType


@dataclass(frozen=True, slots=True)
class ResultRef:
    """Where a result lives: inline bytes in the database, or a path in the result store.

    `serializer` is "json" (orjson), "pickle" (cloudpickle) or "masked" (the value held a
    secret: `data` is its JSON with secrets masked, or None for a value that was pickled)."""

    serializer: str
    storage: str  # "inline" | "store"
    data: bytes | None = None
    path: str | None = None


@dataclass(frozen=True, slots=True)
class FlowVersionRecord:
    """One definition of a flow: its source text and its hash. Runs are pinned to one."""

    id: str
    flow_name: str
    source_hash: str
    source: str
    entrypoint: str | None
    created: datetime


@dataclass(frozen=True, slots=True)
class NewFlowRun:
    """What the engine asks for when it starts a flow run. The id is made by the caller."""

    id: str
    flow_name: str
    name: str
    parameters: dict[str, Any]
    state: StateType
    created: datetime
    flow_version_id: str | None = None
    entrypoint: str | None = None
    tags: tuple[str, ...] = ()
    parent_flow_run_id: str | None = None
    parent_task_run_id: str | None = None
    state_message: str | None = None


@dataclass(frozen=True, slots=True)
class FlowRunRecord:
    """A stored flow run."""

    id: str
    flow_name: str
    name: str
    parameters: dict[str, Any]
    state: StateType
    state_message: str | None
    created: datetime
    updated: datetime
    start_time: datetime | None
    end_time: datetime | None
    run_count: int
    flow_version_id: str | None = None
    entrypoint: str | None = None
    tags: tuple[str, ...] = ()
    parent_flow_run_id: str | None = None
    parent_task_run_id: str | None = None
    result: ResultRef | None = None
    # Set for runs a deployment made (its schedule slot, or when it was asked to run).
    deployment_id: str | None = None
    scheduled_time: datetime | None = None


@dataclass(frozen=True, slots=True)
class TaskRunRecord:
    """A stored task run. `task_key` identifies the call inside its flow run
    ("name-N" or "name-N[i]" for mapped calls) and is how a resumed run matches it."""

    id: str
    flow_run_id: str
    task_key: str
    task_name: str
    map_index: int | None
    state: StateType
    state_message: str | None
    attempts: int
    created: datetime
    updated: datetime
    start_time: datetime | None
    end_time: datetime | None
    result: ResultRef | None = None
    cache_key: str | None = None
    child_flow_run_id: str | None = None


@dataclass(slots=True)
class TaskRunRow:
    """Latest snapshot of a task run in a write batch; the store upserts it by id.

    `is_new` means the run's creation is part of the same batch (no row exists yet)."""

    id: str
    flow_run_id: str
    task_key: str
    task_name: str
    map_index: int | None
    state: StateType
    state_message: str | None
    attempts: int
    created: datetime
    updated: datetime
    start_time: datetime | None
    end_time: datetime | None
    result: ResultRef | None
    cache_key: str | None
    child_flow_run_id: str | None
    is_new: bool


@dataclass(slots=True)
class StateEvent:
    """One state transition, for the audit trail (state_events table)."""

    run_id: str
    run_kind: str  # "flow" | "task"
    from_state: StateType | None
    to_state: StateType
    timestamp: datetime
    message: str | None = None
    forced: bool = False


@dataclass(frozen=True, slots=True)
class StateEventRecord:
    """A stored state event, with its sequence number."""

    id: int
    run_id: str
    run_kind: str
    from_state: StateType | None
    to_state: StateType
    timestamp: datetime
    message: str | None
    forced: bool


@dataclass(slots=True)
class LogRow:
    """One log line of a run, as written by the engine."""

    flow_run_id: str
    task_run_id: str | None
    level: int
    logger: str
    message: str
    timestamp: datetime


@dataclass(frozen=True, slots=True)
class LogRecord:
    """A stored log line, with its sequence number (use it as a cursor)."""

    id: int
    flow_run_id: str
    task_run_id: str | None
    level: int
    logger: str
    message: str
    timestamp: datetime


@dataclass(slots=True)
class Edge:
    """A dependency between two task runs of one flow run."""

    flow_run_id: str
    upstream_id: str
    downstream_id: str


@dataclass(frozen=True, slots=True)
class ArtifactRow:
    """Something a run records for people: a table, markdown or a link (`kind`), with its
    JSON `data`, optionally under a `key` that later versions reuse."""

    id: str
    flow_run_id: str
    task_run_id: str | None
    key: str | None
    kind: str  # "table" | "markdown" | "link"
    description: str | None
    data: Any
    created: datetime


@dataclass(frozen=True, slots=True)
class Fence:
    """The lease epoch a worker holds on a flow run; fenced writes are refused once the
    run's epoch has moved on (another holder claimed it, or its lease expired)."""

    flow_run_id: str
    epoch: int


@dataclass(frozen=True, slots=True)
class FlowRunEnding:
    """A flow run's final state, committed after the rest of the write batch that carries
    it: a run's last batch and its ending take one transaction instead of two."""

    flow_run_id: str
    state: StateType
    message: str | None = None
    result: ResultRef | None = None


@dataclass(slots=True)
class WriteBatch:
    """Everything the write-behind recorder commits in one transaction.

    With a `fence`, nothing of the batch is stored unless the fence's epoch is current. An
    `ending` the state machine refuses is left out and reported like a refused task run."""

    task_runs: list[TaskRunRow] = field(default_factory=list)
    events: list[StateEvent] = field(default_factory=list)
    logs: list[LogRow] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    fence: Fence | None = None
    artifacts: list[ArtifactRow] = field(default_factory=list)
    ending: FlowRunEnding | None = None

    def __bool__(self) -> bool:
        return bool(self.task_runs or self.events or self.logs or self.edges or self.artifacts
                    or self.ending is not None)
