"""Wire models of deployments: the bodies that create, change, run and backfill one, and the
deployment, schedule and run documents the API returns. Shared by the server and the client."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from legato.core.deployments import (
    DEFAULT_CATCHUP_MAX_RUNS,
    DEFAULT_CATCHUP_WINDOW_SECONDS,
    DEFAULT_WORK_QUEUE,
    DeploymentRecord,
    DeploymentRun,
    ScheduleRecord,
)
from legato.core.limits import MAX_PRIORITY, MIN_PRIORITY
from legato.core.schedules import CatchupPolicy, ScheduleKind, ScheduleSpec
from legato.core.states import StateType
from legato.schemas.api import Page
from legato.schemas.fields import MAX_INT, Id, Key, Name, Path, Source, Text, Timestamp
from legato.schemas.records import WireModel

MAX_SCHEDULES = 100
MAX_TAGS = 100
MAX_PARAMETERS = 1_000
MAX_BACKFILL_RUNS = 10_000
MAX_CRASH_RETRIES = 100
DEFAULT_BACKFILL_RUNS = 1_000
# "flow/deployment" names a deployment on the command line, so a deployment name has no "/";
# control characters would garble listings and logs.
_BAD_NAME = re.compile(r"[/\x00-\x1f\x7f]")


def _check_name(value: str) -> str:
    if _BAD_NAME.search(value) or not value.strip():
        raise ValueError(
            "a deployment name needs a visible character and no '/' or control characters; "
            "use a name like 'nightly'"
        )
    return value


DeploymentName = Annotated[
    str, StringConstraints(min_length=1, max_length=255), AfterValidator(_check_name)
]
Expression = Annotated[str, StringConstraints(min_length=1, max_length=4096)]
Zone = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Tags = Annotated[tuple[Name, ...], Field(max_length=MAX_TAGS)]
Parameters = Annotated[dict[str, Any], Field(max_length=MAX_PARAMETERS)]
IdempotencyKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{1,128}$")]


class ScheduleBody(WireModel):
    """One schedule: exactly one of `cron`, `interval` (seconds) or `rrule`."""

    cron: Expression | None = None
    interval: int | None = Field(default=None, ge=1, le=MAX_INT)
    rrule: Expression | None = None
    timezone: Zone = "UTC"
    anchor: Timestamp | None = None
    active: bool = True

    @model_validator(mode="after")
    def _one_kind(self) -> ScheduleBody:
        given = [k for k in ("cron", "interval", "rrule") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                f"a schedule needs exactly one of cron, interval or rrule (got {given or 'none'})"
            )
        return self

    @property
    def field(self) -> str:
        """The name of the field that holds the schedule's expression."""
        return "cron" if self.cron is not None else "rrule" if self.rrule is not None else "interval"

    def to_spec(self) -> ScheduleSpec:
        """The core schedule; DefinitionError when the time zone or expression is bad."""
        if self.cron is not None:
            return ScheduleSpec.cron(self.cron, self.timezone, active=self.active)
        if self.rrule is not None:
            return ScheduleSpec.rrule(self.rrule, self.timezone, active=self.active)
        assert self.interval is not None
        return ScheduleSpec.interval(
            self.interval, anchor=self.anchor, timezone=self.timezone, active=self.active
        )


class _DeploymentFields(WireModel):
    entrypoint: Path | None = None
    source: Source | None = None
    source_hash: str | None = Field(default=None, min_length=1, max_length=128)
    parameters: Parameters | None = None
    parameter_schema: dict[str, Any] | None = None
    schedules: list[ScheduleBody] | None = Field(default=None, max_length=MAX_SCHEDULES)
    tags: Tags | None = None
    work_queue: Name | None = None
    paused: bool | None = None
    catchup: CatchupPolicy | None = None
    catchup_window_seconds: int | None = Field(default=None, ge=1, le=MAX_INT)
    catchup_max_runs: int | None = Field(default=None, ge=1, le=MAX_BACKFILL_RUNS)
    max_active_runs: int | None = Field(default=None, ge=1, le=MAX_INT)
    run_timeout_seconds: float | None = Field(default=None, gt=0, le=MAX_INT)
    crash_retries: int | None = Field(default=None, ge=0, le=MAX_CRASH_RETRIES)
    priority: int | None = Field(
        default=None, ge=MIN_PRIORITY, le=MAX_PRIORITY,
        description="Claim priority of its runs within their work queue; higher first.",
    )
    version: Name | None = None
    description: Text | None = None

    @model_validator(mode="after")
    def _source_with_hash(self) -> _DeploymentFields:
        if (self.source is None) != (self.source_hash is None):
            raise ValueError("source and source_hash go together; send both or neither")
        return self


class DeploymentCreateBody(_DeploymentFields):
    """A deployment to create. `source` + `source_hash` register the flow version it pins;
    `parameter_schema` (the flow's JSON schema) lets the server check `parameters`."""

    flow_name: Name
    name: DeploymentName
    entrypoint: Path = Field(min_length=1)


class DeploymentUpdateBody(_DeploymentFields):
    """Fields to change; those left out keep their value, `schedules` replaces them all."""

    name: DeploymentName | None = None


class ScheduleModel(WireModel):
    """A stored schedule; `next_slot` is the first slot not yet handled, `error` why the
    scheduler set it aside."""

    id: Id
    kind: ScheduleKind
    cron: str | None = None
    interval: int | None = None
    rrule: str | None = None
    timezone: str
    active: bool
    next_slot: Timestamp | None
    error: Text | None

    @classmethod
    def from_record(cls, record: ScheduleRecord) -> ScheduleModel:
        spec = record.spec
        return cls(
            id=record.id,
            kind=spec.kind,
            cron=spec.expression if spec.kind is ScheduleKind.CRON else None,
            interval=spec.interval_seconds,
            rrule=spec.expression if spec.kind is ScheduleKind.RRULE else None,
            timezone=spec.timezone,
            active=spec.active,
            next_slot=record.next_slot,
            error=record.error,
        )


class DeploymentModel(WireModel):
    """A stored deployment with its schedules."""

    id: Id
    flow_name: Name
    name: Name
    entrypoint: Path
    flow_version_id: Id | None
    parameters: dict[str, Any]
    tags: tuple[Name, ...]
    work_queue: Name = DEFAULT_WORK_QUEUE
    paused: bool
    catchup: CatchupPolicy
    catchup_window_seconds: int = DEFAULT_CATCHUP_WINDOW_SECONDS
    catchup_max_runs: int = DEFAULT_CATCHUP_MAX_RUNS
    max_active_runs: int | None
    run_timeout_seconds: float | None
    crash_retries: int = 0
    priority: int = 0
    version: str | None
    description: Text | None
    parameter_schema: dict[str, Any] | None = None
    schedules: list[ScheduleModel]
    created: Timestamp
    updated: Timestamp

    @classmethod
    def from_record(cls, record: DeploymentRecord) -> DeploymentModel:
        spec = record.spec
        return cls(
            id=record.id,
            flow_name=spec.flow_name,
            name=spec.name,
            entrypoint=spec.entrypoint,
            flow_version_id=spec.flow_version_id,
            parameters=spec.parameters,
            tags=tuple(spec.tags),
            work_queue=spec.work_queue,
            paused=spec.paused,
            catchup=spec.catchup,
            catchup_window_seconds=spec.catchup_window_seconds,
            catchup_max_runs=spec.catchup_max_runs,
            max_active_runs=spec.max_active_runs,
            run_timeout_seconds=spec.run_timeout_seconds,
            crash_retries=spec.crash_retries,
            priority=spec.priority,
            version=spec.version,
            description=spec.description,
            parameter_schema=spec.parameter_schema,
            schedules=[ScheduleModel.from_record(s) for s in record.schedules],
            created=record.created,
            updated=record.updated,
        )


class DeploymentPage(Page[DeploymentModel]):
    """A page of deployments, oldest first."""


class RunDeploymentBody(WireModel):
    """Run a deployment now: `parameters` override its defaults; a repeated
    `idempotency_key` returns the run the first request made."""

    parameters: Parameters = Field(default_factory=dict)
    idempotency_key: IdempotencyKey | None = None
    priority: int | None = Field(
        default=None, ge=MIN_PRIORITY, le=MAX_PRIORITY,
        description="This run's claim priority; default: the deployment's.",
    )


class DeploymentRunModel(WireModel):
    """A flow run seen from its deployment: which schedule and slot made it."""

    id: Id
    deployment_id: Id
    schedule_id: Id | None
    scheduled_time: Timestamp | None
    idempotency_key: Key | None
    is_backfill: bool
    late: bool
    state: StateType
    state_message: Text | None
    parameters: dict[str, Any]
    created: Timestamp

    @classmethod
    def from_record(cls, run: DeploymentRun) -> DeploymentRunModel:
        return cls(
            id=run.id,
            deployment_id=run.deployment_id,
            schedule_id=run.schedule_id,
            scheduled_time=run.scheduled_time,
            idempotency_key=run.idempotency_key,
            is_backfill=run.is_backfill,
            late=run.late,
            state=run.state,
            state_message=run.state_message,
            parameters=run.parameters,
            created=run.created,
        )


class DeploymentRunPage(Page[DeploymentRunModel]):
    """A page of a deployment's runs, oldest slot first."""


class BackfillBody(WireModel):
    """Make one run per slot of the deployment's active schedules in [start, end)."""

    start: Timestamp
    end: Timestamp
    max_runs: int = Field(default=DEFAULT_BACKFILL_RUNS, ge=1, le=MAX_BACKFILL_RUNS)


class BackfillResultModel(WireModel):
    """How many backfill runs are new (slots already backfilled are not made again)."""

    created: int = Field(ge=0)
