"""Wire models of the records that cross the Backend boundary (runs, task runs, results,
state events, logs, edges, write batches), each with `from_record` and `to_record`."""

from __future__ import annotations

import dataclasses
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from legato.core.records import (
    ArtifactRow,
    Edge,
    Fence,
    FlowRunEnding,
    FlowRunRecord,
    FlowVersionRecord,
    LogRecord,
    LogRow,
    NewFlowRun,
    ResultRef,
    StateEvent,
    StateEventRecord,
    TaskRunRecord,
    TaskRunRow,
    WriteBatch,
)
from legato.core.states import StateType
from legato.schemas.fields import (
    MAX_ITEMS,
    Base64Bytes,
    Count,
    Id,
    Key,
    Name,
    Path,
    Source,
    Text,
    Timestamp,
)

R = TypeVar("R")


class WireModel(BaseModel):
    """Base of every wire model: unknown fields are refused, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ResultRefModel(WireModel):
    """A result reference; inline `data` travels base64-encoded and is never decoded."""

    serializer: str = Field(max_length=16, pattern=r"^[A-Za-z0-9_.-]+$")
    storage: Literal["inline", "store"]
    data: Base64Bytes | None = None
    path: Path | None = None

    @classmethod
    def from_record(cls, ref: ResultRef) -> ResultRefModel:
        return cls(serializer=ref.serializer, storage=ref.storage, data=ref.data, path=ref.path)  # type: ignore[arg-type]

    def to_record(self) -> ResultRef:
        return ResultRef(self.serializer, self.storage, self.data, self.path)


def _fields_of(record: Any) -> dict[str, Any]:
    """A flat record's fields by name (records holding a ResultRef map it explicitly)."""
    return {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}


def _build(kind: type[R], model: BaseModel) -> R:
    """The record `kind` from the model's fields of the same names."""
    return kind(**{f.name: getattr(model, f.name) for f in dataclasses.fields(kind)})  # type: ignore[arg-type]


def _ref(model: ResultRefModel | None) -> ResultRef | None:
    return None if model is None else model.to_record()


def _model(ref: ResultRef | None) -> ResultRefModel | None:
    return None if ref is None else ResultRefModel.from_record(ref)


class FlowVersionModel(WireModel):
    """One stored definition of a flow."""

    id: Id
    flow_name: Name
    source_hash: str = Field(max_length=128)
    source: Source
    entrypoint: Path | None
    created: Timestamp

    @classmethod
    def from_record(cls, record: FlowVersionRecord) -> FlowVersionModel:
        return cls(
            id=record.id,
            flow_name=record.flow_name,
            source_hash=record.source_hash,
            source=record.source,
            entrypoint=record.entrypoint,
            created=record.created,
        )

    def to_record(self) -> FlowVersionRecord:
        return FlowVersionRecord(
            self.id, self.flow_name, self.source_hash, self.source, self.entrypoint, self.created
        )


class NewFlowRunModel(WireModel):
    """A flow run to create; the id is made by the caller."""

    id: Id
    flow_name: Name
    name: Name
    parameters: dict[str, Any]
    state: StateType
    created: Timestamp
    flow_version_id: Id | None = None
    entrypoint: Path | None = None
    tags: tuple[Name, ...] = Field(default=(), max_length=1000)
    parent_flow_run_id: Id | None = None
    parent_task_run_id: Id | None = None
    state_message: Text | None = None

    @classmethod
    def from_record(cls, new: NewFlowRun) -> NewFlowRunModel:
        return cls(
            id=new.id,
            flow_name=new.flow_name,
            name=new.name,
            parameters=new.parameters,
            state=new.state,
            created=new.created,
            flow_version_id=new.flow_version_id,
            entrypoint=new.entrypoint,
            tags=tuple(new.tags),
            parent_flow_run_id=new.parent_flow_run_id,
            parent_task_run_id=new.parent_task_run_id,
            state_message=new.state_message,
        )

    def to_record(self) -> NewFlowRun:
        return NewFlowRun(**self._fields())

    def _fields(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in type(self).model_fields}


class FlowRunModel(WireModel):
    """A stored flow run."""

    id: Id
    flow_name: Name
    name: Name
    parameters: dict[str, Any]
    state: StateType
    state_message: Text | None
    created: Timestamp
    updated: Timestamp
    start_time: Timestamp | None
    end_time: Timestamp | None
    run_count: Count
    flow_version_id: Id | None = None
    entrypoint: Path | None = None
    tags: tuple[Name, ...] = ()
    parent_flow_run_id: Id | None = None
    parent_task_run_id: Id | None = None
    result: ResultRefModel | None = None
    deployment_id: Id | None = None
    scheduled_time: Timestamp | None = None

    @classmethod
    def from_record(cls, record: FlowRunRecord) -> FlowRunModel:
        return cls(
            id=record.id,
            flow_name=record.flow_name,
            name=record.name,
            parameters=record.parameters,
            state=record.state,
            state_message=record.state_message,
            created=record.created,
            updated=record.updated,
            start_time=record.start_time,
            end_time=record.end_time,
            run_count=record.run_count,
            flow_version_id=record.flow_version_id,
            entrypoint=record.entrypoint,
            tags=tuple(record.tags),
            parent_flow_run_id=record.parent_flow_run_id,
            parent_task_run_id=record.parent_task_run_id,
            result=_model(record.result),
            deployment_id=record.deployment_id,
            scheduled_time=record.scheduled_time,
        )

    def to_record(self) -> FlowRunRecord:
        fields = {name: getattr(self, name) for name in type(self).model_fields}
        fields["result"] = _ref(self.result)
        return FlowRunRecord(**fields)


class TaskRunModel(WireModel):
    """A stored task run."""

    id: Id
    flow_run_id: Id
    task_key: Key
    task_name: Name
    map_index: Count | None
    state: StateType
    state_message: Text | None
    attempts: Count
    created: Timestamp
    updated: Timestamp
    start_time: Timestamp | None
    end_time: Timestamp | None
    result: ResultRefModel | None = None
    cache_key: Key | None = None
    child_flow_run_id: Id | None = None

    @classmethod
    def from_record(cls, record: TaskRunRecord) -> TaskRunModel:
        return cls(**_task_fields(record))

    def to_record(self) -> TaskRunRecord:
        fields = {name: getattr(self, name) for name in type(self).model_fields}
        fields["result"] = _ref(self.result)
        return TaskRunRecord(**fields)


def _task_fields(record: TaskRunRecord | TaskRunRow) -> dict[str, Any]:
    return {
        "id": record.id,
        "flow_run_id": record.flow_run_id,
        "task_key": record.task_key,
        "task_name": record.task_name,
        "map_index": record.map_index,
        "state": record.state,
        "state_message": record.state_message,
        "attempts": record.attempts,
        "created": record.created,
        "updated": record.updated,
        "start_time": record.start_time,
        "end_time": record.end_time,
        "result": _model(record.result),
        "cache_key": record.cache_key,
        "child_flow_run_id": record.child_flow_run_id,
    }


class TaskRunRowModel(TaskRunModel):
    """A task-run snapshot in a write batch; `is_new` says no row exists for it yet."""

    is_new: bool

    @classmethod
    def from_row(cls, row: TaskRunRow) -> TaskRunRowModel:
        return cls(**_task_fields(row), is_new=row.is_new)

    def to_row(self) -> TaskRunRow:
        fields = {name: getattr(self, name) for name in type(self).model_fields}
        fields["result"] = _ref(self.result)
        return TaskRunRow(**fields)


class StateEventModel(WireModel):
    """One state transition to record."""

    run_id: Id
    run_kind: str = Field(max_length=8)
    from_state: StateType | None
    to_state: StateType
    timestamp: Timestamp
    message: Text | None = None
    forced: bool = False

    @classmethod
    def from_record(cls, event: StateEvent) -> StateEventModel:
        return cls(**_fields_of(event))

    def to_record(self) -> StateEvent:
        return _build(StateEvent, self)


class StateEventRecordModel(StateEventModel):
    """A stored state event, with its sequence number."""

    id: int = Field(ge=0)

    @classmethod
    def from_stored(cls, event: StateEventRecord) -> StateEventRecordModel:
        return cls(**_fields_of(event))

    def to_stored(self) -> StateEventRecord:
        return _build(StateEventRecord, self)


class LogRowModel(WireModel):
    """One log line to store."""

    flow_run_id: Id
    task_run_id: Id | None
    level: int = Field(ge=0, le=100)
    logger: Name
    message: Text
    timestamp: Timestamp

    @classmethod
    def from_record(cls, row: LogRow) -> LogRowModel:
        return cls(**_fields_of(row))

    def to_record(self) -> LogRow:
        return _build(LogRow, self)


class LogModel(LogRowModel):
    """A stored log line; its id is the cursor for the next page."""

    id: int = Field(ge=0)

    @classmethod
    def from_stored(cls, record: LogRecord) -> LogModel:
        return cls(**_fields_of(record))

    def to_stored(self) -> LogRecord:
        return _build(LogRecord, self)


class EdgeModel(WireModel):
    """A dependency between two task runs of one flow run."""

    flow_run_id: Id
    upstream_id: Id
    downstream_id: Id

    def to_record(self) -> Edge:
        return Edge(self.flow_run_id, self.upstream_id, self.downstream_id)


class FenceModel(WireModel):
    """The lease epoch a worker's write batch is fenced with."""

    flow_run_id: Id
    epoch: Count


class ArtifactModel(WireModel):
    """A table, markdown or link a run recorded; `data` is its JSON (rows or columns, the
    markdown text, or {link, link_text})."""

    id: Id
    flow_run_id: Id
    task_run_id: Id | None
    key: Name | None
    kind: Literal["table", "markdown", "link"]
    description: Text | None
    data: Any
    created: Timestamp

    @classmethod
    def from_record(cls, row: ArtifactRow) -> ArtifactModel:
        return cls(**_fields_of(row))

    def to_record(self) -> ArtifactRow:
        return _build(ArtifactRow, self)


class FlowRunEndingModel(WireModel):
    """A flow run's final state, committed after the rest of its write batch."""

    flow_run_id: Id
    state: StateType
    message: Text | None = None
    result: ResultRefModel | None = None

    @classmethod
    def from_record(cls, ending: FlowRunEnding) -> FlowRunEndingModel:
        result = None if ending.result is None else ResultRefModel.from_record(ending.result)
        return cls(flow_run_id=ending.flow_run_id, state=ending.state, message=ending.message,
                   result=result)

    def to_record(self) -> FlowRunEnding:
        result = None if self.result is None else self.result.to_record()
        return FlowRunEnding(self.flow_run_id, self.state, self.message, result)


class WriteBatchModel(WireModel):
    """Task-run snapshots, state events, logs and edges committed in one transaction;
    with a `fence`, nothing is stored unless its epoch is the run's current one; with an
    `ending`, the flow run's final state is committed last in the same transaction."""

    task_runs: list[TaskRunRowModel] = Field(default_factory=list, max_length=MAX_ITEMS)
    events: list[StateEventModel] = Field(default_factory=list, max_length=MAX_ITEMS)
    logs: list[LogRowModel] = Field(default_factory=list, max_length=MAX_ITEMS)
    edges: list[EdgeModel] = Field(default_factory=list, max_length=MAX_ITEMS)
    fence: FenceModel | None = None
    artifacts: list[ArtifactModel] = Field(default_factory=list, max_length=MAX_ITEMS)
    ending: FlowRunEndingModel | None = None

    @classmethod
    def from_record(cls, batch: WriteBatch) -> WriteBatchModel:
        return cls(
            task_runs=[TaskRunRowModel.from_row(row) for row in batch.task_runs],
            events=[StateEventModel.from_record(event) for event in batch.events],
            logs=[LogRowModel.from_record(row) for row in batch.logs],
            edges=[
                EdgeModel(
                    flow_run_id=edge.flow_run_id,
                    upstream_id=edge.upstream_id,
                    downstream_id=edge.downstream_id,
                )
                for edge in batch.edges
            ],
            fence=None if batch.fence is None else FenceModel(
                flow_run_id=batch.fence.flow_run_id, epoch=batch.fence.epoch
            ),
            artifacts=[ArtifactModel.from_record(row) for row in batch.artifacts],
            ending=None if batch.ending is None else FlowRunEndingModel.from_record(batch.ending),
        )

    def to_record(self) -> WriteBatch:
        return WriteBatch(
            task_runs=[row.to_row() for row in self.task_runs],
            events=[event.to_record() for event in self.events],
            logs=[row.to_record() for row in self.logs],
            edges=[edge.to_record() for edge in self.edges],
            fence=None if self.fence is None else Fence(self.fence.flow_run_id, self.fence.epoch),
            artifacts=[row.to_record() for row in self.artifacts],
            ending=None if self.ending is None else self.ending.to_record(),
        )
