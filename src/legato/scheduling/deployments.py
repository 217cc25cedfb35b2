"""Deployments with their schedules fully checked (cron and RRULE syntax), runs made on demand,
and backfills: the entry points the server, the CLI and `flow.deploy()` use."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from legato.core.deployments import DeploymentRecord, DeploymentRun, DeploymentSpec, backfill_key
from legato.core.ids import new_id
from legato.core.limits import check_priority
from legato.errors import ParameterError
from legato.orchestration import deployments as door
from legato.orchestration.deployments import SlotRun
from legato.scheduling.slots import compile_schedule, validate_schedule
from legato.store import deployments as deployment_rows
from legato.store import flows
from legato.store.database import Database

DEFAULT_BACKFILL_MAX_RUNS = 1_000


def create_deployment(db: Database, spec: DeploymentSpec, *, now: datetime) -> DeploymentRecord:
    """Check every schedule's expression, then store the deployment.

    >>> create_deployment(db, DeploymentSpec("hourly", "etl", "etl.py:etl",
    ...     schedules=(ScheduleSpec.cron("0 * * * *", "Europe/Berlin"),)), now=now)
    """
    for schedule in spec.schedules:
        validate_schedule(schedule)
    return door.create_deployment(db, spec, now=now)


def update_deployment(
    db: Database, deployment_id: str, *, now: datetime, **changes: Any
) -> DeploymentRecord:
    """Check new schedules' expressions, then update the deployment."""
    for schedule in changes.get("schedules", ()):
        validate_schedule(schedule)
    return door.update_deployment(db, deployment_id, now=now, **changes)


def run_deployment(
    db: Database,
    deployment_id: str,
    *,
    now: datetime,
    parameters: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
    priority: int | None = None,
    check: Callable[[DeploymentRecord], None] | None = None,
) -> DeploymentRun:
    """Make one SCHEDULED run of the deployment for now, its default parameters overridden
    by `parameters`; a repeated `idempotency_key` returns the run the first call made.
    `check(deployment)` runs on the deployment (without its schedules) before the run is
    made, in the same transaction; what it raises aborts it.

    >>> run_deployment(db, deployment.id, now=now, parameters={"name": "Ada"}).state
    <StateType.SCHEDULED: 'SCHEDULED'>
    """
    if priority is not None:
        check_priority(f"run of deployment {deployment_id}", priority)
    with db.writing() as conn:
        found = deployment_rows.read_deployments(conn, [deployment_id], with_schedules=False)
        if not found:
            raise door.deployment_not_found(deployment_id)
        deployment = found[0]
        if check is not None:
            check(deployment)
        spec = deployment.spec
        # A key made here is new by construction; only a caller's key may have made a run.
        key = f"run:{deployment.id}:{idempotency_key or new_id()}"
        if idempotency_key is not None:
            existing = deployment_rows.find_run_by_key(conn, key)
            if existing is not None:
                return existing
        made = door.insert_deployment_run(
            conn,
            SlotRun(
                deployment_id=deployment.id,
                flow_id=flows.ensure_flow(conn, spec.flow_name, now),
                flow_version_id=spec.flow_version_id,
                entrypoint=spec.entrypoint,
                parameters={**spec.parameters, **(parameters or {})},
                tags=spec.tags,
                schedule_id=None,
                slot=now,
                idempotency_key=key,
                message=f"run of deployment {spec.name!r} requested through the API",
                priority=priority,
                flow_name=spec.flow_name,
                deployment_name=spec.name,
            ),
            now,
        )
        if made is None:  # the same key, made by a concurrent request
            made = deployment_rows.find_run_by_key(conn, key)
    assert made is not None, "the run was inserted or found under its key"
    return made


def backfill(
    db: Database,
    deployment_id: str,
    start: datetime,
    end: datetime,
    *,
    now: datetime,
    max_runs: int = DEFAULT_BACKFILL_MAX_RUNS,
) -> int:
    """Make one SCHEDULED backfill run per slot of the deployment's active schedules in
    [start, end), oldest first; a slot already backfilled is not made again. Return how
    many runs are new; ParameterError when more than `max_runs` slots fall in the range.

    >>> backfill(db, deployment.id, datetime(2026, 1, 1, tzinfo=UTC),
    ...          datetime(2026, 1, 2, tzinfo=UTC), now=now)
    24
    """
    for label, moment in (("start", start), ("end", end)):
        if moment.tzinfo is None:
            raise ParameterError(
                f"backfill of deployment {deployment_id} got a naive {label} "
                f"{moment.isoformat()}; pass an aware datetime such as one in UTC."
            )
    if end <= start:
        raise ParameterError(
            f"backfill of deployment {deployment_id} got start {start.isoformat()} not before "
            f"end {end.isoformat()}; make start earlier than end."
        )
    deployment = door.read_deployment(db, deployment_id)
    slots = _slots(deployment, start, end, max_runs)
    spec = deployment.spec
    with db.writing() as conn:
        flow_id = flows.ensure_flow(conn, spec.flow_name, now)
        return door.insert_slot_runs(
            conn,
            [
                SlotRun(
                    deployment_id=deployment.id,
                    flow_id=flow_id,
                    flow_version_id=spec.flow_version_id,
                    entrypoint=spec.entrypoint,
                    parameters=spec.parameters,
                    tags=spec.tags,
                    schedule_id=None,
                    slot=slot,
                    idempotency_key=backfill_key(deployment.id, slot),
                    message=f"backfill of deployment {spec.name!r} for slot {slot.isoformat()}",
                    is_backfill=True,
                )
                for slot in slots
            ],
            now,
        )


def _slots(deployment: DeploymentRecord, start: datetime, end: datetime, limit: int) -> list[datetime]:
    found: set[datetime] = set()
    for schedule in deployment.schedules:
        if not schedule.spec.active:
            continue
        for slot in compile_schedule(schedule.spec).slots_from(start):
            if slot >= end:
                break
            found.add(slot)
            if len(found) > limit:
                raise ParameterError(
                    f"backfill of deployment {deployment.spec.name!r} from {start.isoformat()} "
                    f"to {end.isoformat()} covers more than max_runs={limit} slots; "
                    "shorten the range or raise max_runs."
                )
    return sorted(found)
