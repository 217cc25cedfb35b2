"""Deployments: a flow registered to run on schedules, with its defaults and catch-up policy.
Plain records and pure validation, shared by orchestration, scheduling and the server."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from legato.core.limits import check_priority
from legato.core.schedules import CatchupPolicy, ScheduleSpec, check_schedule
from legato.core.states import StateType
from legato.errors import DefinitionError

DEFAULT_WORK_QUEUE = "default"
DEFAULT_CATCHUP_WINDOW_SECONDS = 86_400
DEFAULT_CATCHUP_MAX_RUNS = 100


@dataclass(frozen=True, slots=True)
class DeploymentSpec:
    """What people give to create or replace a deployment.

    >>> DeploymentSpec(name="nightly", flow_name="etl", entrypoint="etl.py:etl").work_queue
    'default'
    """

    name: str
    flow_name: str
    entrypoint: str
    flow_version_id: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    work_queue: str = DEFAULT_WORK_QUEUE
    paused: bool = False
    catchup: CatchupPolicy = CatchupPolicy.LATEST
    catchup_window_seconds: int = DEFAULT_CATCHUP_WINDOW_SECONDS
    catchup_max_runs: int = DEFAULT_CATCHUP_MAX_RUNS
    max_active_runs: int | None = None
    run_timeout_seconds: float | None = None
    version: str | None = None
    description: str | None = None
    schedules: tuple[ScheduleSpec, ...] = ()
    crash_retries: int = 0
    # The flow's parameters as JSON schema, when the deployer sent it: the server checks
    # defaults and run-now parameters against it and the UI builds its run form from it.
    parameter_schema: dict[str, Any] | None = None
    # Claim priority of its runs: higher first, within a work queue (a run may override it).
    priority: int = 0


@dataclass(frozen=True, slots=True)
class ScheduleRecord:
    """A stored schedule. `next_slot` is the first slot not yet handled (None until the
    scheduler plans it); `error` says why the scheduler set a malformed schedule aside."""

    id: str
    deployment_id: str
    spec: ScheduleSpec
    next_slot: datetime | None
    error: str | None
    created: datetime
    updated: datetime


@dataclass(frozen=True, slots=True)
class DeploymentRecord:
    """A stored deployment and its schedules (in the order they were given)."""

    id: str
    spec: DeploymentSpec
    schedules: tuple[ScheduleRecord, ...]
    created: datetime
    updated: datetime

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def paused(self) -> bool:
        return self.spec.paused


@dataclass(frozen=True, slots=True)
class DeploymentRun:
    """A flow run seen from its deployment: which schedule and slot made it."""

    id: str
    deployment_id: str
    schedule_id: str | None
    scheduled_time: datetime | None
    idempotency_key: str | None
    is_backfill: bool
    late: bool
    state: StateType
    state_message: str | None
    parameters: dict[str, Any]
    created: datetime


def schedule_key(schedule_id: str, slot: datetime) -> str:
    """The idempotency key of a scheduled run: one run per schedule and slot (Promise 4)."""
    return f"sched:{schedule_id}:{slot.isoformat()}"


def backfill_key(deployment_id: str, slot: datetime) -> str:
    """The idempotency key of a backfill run: one per deployment and slot."""
    return f"backfill:{deployment_id}:{slot.isoformat()}"


def check_deployment(spec: DeploymentSpec) -> DeploymentSpec:
    """Check a deployment spec's fields; return it or raise DefinitionError."""
    where = f"deployment {spec.name!r}"
    for label, value in (("name", spec.name), ("flow_name", spec.flow_name),
                         ("entrypoint", spec.entrypoint), ("work_queue", spec.work_queue)):
        if not isinstance(value, str) or not value.strip():
            raise DefinitionError(f"{where} has an empty {label}; give it a non-empty string.")
    if len(spec.name) > 255:
        raise DefinitionError(f"{where} has a name longer than 255 characters; shorten it.")
    if not isinstance(spec.parameters, dict):
        raise DefinitionError(
            f"{where} has parameters of type {type(spec.parameters).__name__}; "
            "pass a dict of parameter names to values."
        )
    try:
        CatchupPolicy(spec.catchup)
    except ValueError:
        raise DefinitionError(
            f"{where} has catchup={spec.catchup!r}; use 'latest' or 'all'."
        ) from None
    _positive(where, "catchup_window_seconds", spec.catchup_window_seconds)
    _positive(where, "catchup_max_runs", spec.catchup_max_runs)
    if spec.max_active_runs is not None:
        _positive(where, "max_active_runs", spec.max_active_runs)
    if isinstance(spec.crash_retries, bool) or not (
        isinstance(spec.crash_retries, int) and spec.crash_retries >= 0
    ):
        raise DefinitionError(
            f"{where} has crash_retries={spec.crash_retries!r}; use a whole number of 0 or more."
        )
    if spec.run_timeout_seconds is not None and not spec.run_timeout_seconds > 0:
        raise DefinitionError(
            f"{where} has run_timeout_seconds={spec.run_timeout_seconds!r}; "
            "use a number of seconds greater than 0, or None for no timeout."
        )
    check_priority(where, spec.priority)
    for schedule in spec.schedules:
        check_schedule(schedule)
    return spec


def _positive(where: str, label: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise DefinitionError(
            f"{where} has {label}={value!r}; use a whole number greater than 0."
        )
