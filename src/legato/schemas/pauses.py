"""Wire models for pausing and resuming flow runs: the engine's pause and expiry requests,
a person's resume with input, and a run's pause point."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from legato.core.pauses import InputStatus, PauseKind, PauseRequest, RunInputRecord
from legato.schemas.fields import MAX_INT, Id, Name, Text, Timestamp
from legato.schemas.records import WireModel


class PauseBody(WireModel):
    """A RUNNING run stopping at a pause point (sent by the engine)."""

    key: Name
    kind: PauseKind
    deadline: Timestamp
    input_schema: dict[str, Any] | None = None
    description: Text | None = None
    epoch: int | None = Field(default=None, ge=0, le=MAX_INT)

    def to_request(self) -> PauseRequest:
        return PauseRequest(self.key, self.kind, self.deadline, self.input_schema,
                            self.description)


class ResumeBody(WireModel):
    """Resume a paused run; `input` must match the pause point's schema (omit it when the
    pause asked for none); `key` guards against resuming a different pause point."""

    input: Any = None
    key: Name | None = None


class ExpirePauseBody(WireModel):
    """A waiting run's own deadline passed (sent by the engine)."""

    key: Name
    epoch: int | None = Field(default=None, ge=0, le=MAX_INT)


class RunInputModel(WireModel):
    """A pause point of a flow run and, once resumed, its input."""

    flow_run_id: Id
    key: Name
    kind: PauseKind
    status: InputStatus
    deadline: Timestamp
    created: Timestamp
    input_schema: dict[str, Any] | None = None
    description: Text | None = None
    value: Any = None
    responded: Timestamp | None = None

    @classmethod
    def from_record(cls, record: RunInputRecord) -> RunInputModel:
        return cls(
            flow_run_id=record.flow_run_id, key=record.key, kind=record.kind,
            status=record.status, deadline=record.deadline, created=record.created,
            input_schema=record.schema, description=record.description, value=record.value,
            responded=record.responded,
        )

    def to_record(self) -> RunInputRecord:
        return RunInputRecord(
            self.flow_run_id, self.key, self.kind, self.status, self.deadline, self.created,
            self.input_schema, self.description, self.value, self.responded,
        )
