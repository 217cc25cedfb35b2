"""Queries for deployments and their schedules: insert, read, list a page, update, pause and
resume (which park and unpark schedules for the scheduler), delete."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, delete, func, select, update

from legato.core.deployments import DeploymentRecord, DeploymentRun, DeploymentSpec, ScheduleRecord
from legato.core.ids import new_id
from legato.core.schedules import CatchupPolicy, ScheduleKind, ScheduleSpec
from legato.core.states import StateType
from legato.store.tables import deployments, flow_runs, flows, schedules, triggers

_DEPLOYMENT_COLUMNS = (*deployments.c, flows.c.name.label("flow_name"))


def _deployment_values(spec: DeploymentSpec) -> dict[str, Any]:
    return {
        "name": spec.name,
        "flow_version_id": spec.flow_version_id,
        "entrypoint": spec.entrypoint,
        "parameters": spec.parameters,
        "tags": list(spec.tags),
        "work_queue": spec.work_queue,
        "paused": spec.paused,
        "catchup": CatchupPolicy(spec.catchup).value,
        "catchup_window_seconds": spec.catchup_window_seconds,
        "catchup_max_runs": spec.catchup_max_runs,
        "max_active_runs": spec.max_active_runs,
        "run_timeout_seconds": spec.run_timeout_seconds,
        "version": spec.version,
        "description": spec.description,
        "crash_retries": spec.crash_retries,
        "parameter_schema": spec.parameter_schema,
        "priority": spec.priority,
    }


def schedule_spec(row: Row[Any]) -> ScheduleSpec:
    """The ScheduleSpec stored in a schedules row (not validated: rows may be malformed)."""
    return ScheduleSpec(
        kind=ScheduleKind(row.kind),
        expression=row.expression,
        timezone=row.timezone,
        interval_seconds=row.interval_seconds,
        anchor=row.anchor,
        active=bool(row.active),
    )


def _schedule_record(row: Row[Any]) -> ScheduleRecord:
    return ScheduleRecord(
        id=row.id,
        deployment_id=row.deployment_id,
        spec=schedule_spec(row),
        next_slot=row.next_slot,
        error=row.error,
        created=row.created,
        updated=row.updated,
    )


def find_deployment(conn: Connection, flow_id: str, name: str) -> str | None:
    """The id of the deployment `name` of a flow, or None."""
    query = select(deployments.c.id).where(
        deployments.c.flow_id == flow_id, deployments.c.name == name
    )
    return conn.execute(query).scalar()


def insert_deployment(
    conn: Connection, deployment_id: str, spec: DeploymentSpec, flow_id: str, now: datetime
) -> None:
    """Insert a deployment row and its schedules (each due at `now` to be planned)."""
    conn.execute(
        deployments.insert(),
        {"id": deployment_id, "flow_id": flow_id, "created": now, "updated": now,
         **_deployment_values(spec)},
    )
    insert_schedules(conn, deployment_id, list(enumerate(spec.schedules)), spec.paused, now)


def insert_schedules(
    conn: Connection,
    deployment_id: str,
    specs: Sequence[tuple[int, ScheduleSpec]],
    paused: bool,
    now: datetime,
) -> None:
    """Insert (position, spec) schedules, unplanned; due at `now` unless parked."""
    if not specs:
        return
    conn.execute(
        schedules.insert(),
        [
            {
                "id": new_id(),
                "deployment_id": deployment_id,
                "position": position,
                "kind": spec.kind.value,
                "expression": spec.expression,
                "timezone": spec.timezone,
                "interval_seconds": spec.interval_seconds,
                "anchor": spec.anchor,
                "active": spec.active,
                "next_slot": None,
                "due_at": None if paused or not spec.active else now,
                "error": None,
                "created": now,
                "updated": now,
            }
            for position, spec in specs
        ],
    )


def update_deployment(
    conn: Connection, deployment_id: str, spec: DeploymentSpec, now: datetime
) -> None:
    """Replace a deployment's fields; schedules whose spec is unchanged keep their id and
    next slot (so no slot runs twice), the others are replaced."""
    values = _deployment_values(spec)
    conn.execute(
        update(deployments).where(deployments.c.id == deployment_id).values(updated=now, **values)
    )
    stored = conn.execute(
        select(schedules).where(schedules.c.deployment_id == deployment_id)
    ).all()
    unmatched = {row.id: row for row in stored}
    fresh: list[tuple[int, ScheduleSpec]] = []
    for position, spec_ in enumerate(spec.schedules):
        match = next((r for r in unmatched.values() if schedule_spec(r) == spec_), None)
        if match is None:
            fresh.append((position, spec_))
            continue
        del unmatched[match.id]
        conn.execute(
            update(schedules).where(schedules.c.id == match.id).values(position=position)
        )
    if unmatched:
        conn.execute(delete(schedules).where(schedules.c.id.in_(list(unmatched))))
    insert_schedules(conn, deployment_id, fresh, spec.paused, now)
    set_paused(conn, deployment_id, spec.paused, now)


def set_paused(conn: Connection, deployment_id: str, paused: bool, now: datetime) -> None:
    """Pause (park every schedule) or resume (unpark live schedules at their next slot, or
    their creation when never planned, so the scheduler applies the catch-up policy to the
    slots missed meanwhile)."""
    conn.execute(
        update(deployments).where(deployments.c.id == deployment_id).values(paused=paused)
    )
    live = and_(
        schedules.c.deployment_id == deployment_id,
        schedules.c.active.is_(True),
        schedules.c.error.is_(None),
    )
    due_at = None if paused else func.coalesce(schedules.c.next_slot, schedules.c.created)
    conn.execute(update(schedules).where(live).values(due_at=due_at))


def delete_deployment(conn: Connection, deployment_id: str) -> None:
    """Delete a deployment, its schedules and triggers; its runs stay, as history."""
    conn.execute(delete(schedules).where(schedules.c.deployment_id == deployment_id))
    conn.execute(delete(triggers).where(triggers.c.deployment_id == deployment_id))
    conn.execute(delete(deployments).where(deployments.c.id == deployment_id))


def read_deployments(conn: Connection, ids: Sequence[str], *,
                     with_schedules: bool = True) -> list[DeploymentRecord]:
    """Deployments by id, in the order given (unknown ids are left out); without their
    schedules (an empty tuple) when `with_schedules` is False, for making a run."""
    if not ids:
        return []
    rows = conn.execute(
        select(*_DEPLOYMENT_COLUMNS)
        .join(flows, flows.c.id == deployments.c.flow_id)
        .where(deployments.c.id.in_(list(ids)))
    ).all()
    schedule_rows = conn.execute(
        select(schedules)
        .where(schedules.c.deployment_id.in_(list(ids)))
        .order_by(schedules.c.deployment_id, schedules.c.position)
    ).all() if with_schedules and rows else []
    by_deployment: dict[str, list[ScheduleRecord]] = {}
    for row in schedule_rows:
        by_deployment.setdefault(row.deployment_id, []).append(_schedule_record(row))
    records = {row.id: _deployment_record(row, by_deployment.get(row.id, [])) for row in rows}
    return [records[i] for i in ids if i in records]


def _deployment_record(row: Row[Any], schedule_records: list[ScheduleRecord]) -> DeploymentRecord:
    spec = DeploymentSpec(
        name=row.name,
        flow_name=row.flow_name,
        entrypoint=row.entrypoint,
        flow_version_id=row.flow_version_id,
        parameters=row.parameters,
        tags=tuple(row.tags),
        work_queue=row.work_queue,
        paused=bool(row.paused),
        catchup=CatchupPolicy(row.catchup),
        catchup_window_seconds=row.catchup_window_seconds,
        catchup_max_runs=row.catchup_max_runs,
        max_active_runs=row.max_active_runs,
        run_timeout_seconds=row.run_timeout_seconds,
        version=row.version,
        description=row.description,
        schedules=tuple(s.spec for s in schedule_records),
        crash_retries=row.crash_retries,
        parameter_schema=row.parameter_schema,
        priority=row.priority,
    )
    return DeploymentRecord(
        id=row.id,
        spec=spec,
        schedules=tuple(schedule_records),
        created=row.created,
        updated=row.updated,
    )


def list_deployment_ids(
    conn: Connection, *, flow_name: str | None, limit: int, offset: int
) -> list[str]:
    """Deployment ids, oldest first (ties by id), one page."""
    query = select(deployments.c.id)
    if flow_name is not None:
        query = query.join(flows, flows.c.id == deployments.c.flow_id).where(
            flows.c.name == flow_name
        )
    query = query.order_by(deployments.c.created, deployments.c.id).limit(limit).offset(offset)
    return list(conn.execute(query).scalars())


def list_deployment_runs(
    conn: Connection, deployment_id: str, *, limit: int, offset: int
) -> list[DeploymentRun]:
    """Runs of a deployment by slot, oldest slot first (runs without a slot last)."""
    query = (
        select(flow_runs)
        .where(flow_runs.c.deployment_id == deployment_id)
        .order_by(flow_runs.c.scheduled_time.is_(None), flow_runs.c.scheduled_time,
                  flow_runs.c.id)
        .limit(limit)
        .offset(offset)
    )
    return [_deployment_run(row) for row in conn.execute(query)]


def find_run_by_key(conn: Connection, idempotency_key: str) -> DeploymentRun | None:
    """The deployment run made under `idempotency_key`, if any."""
    query = select(flow_runs).where(flow_runs.c.idempotency_key == idempotency_key)
    row = conn.execute(query).first()
    return None if row is None or row.deployment_id is None else _deployment_run(row)


def _deployment_run(row: Row[Any]) -> DeploymentRun:
    return DeploymentRun(
        id=row.id,
        deployment_id=row.deployment_id,
        schedule_id=row.schedule_id,
        scheduled_time=row.scheduled_time,
        idempotency_key=row.idempotency_key,
        is_backfill=bool(row.is_backfill),
        late=bool(row.late),
        state=StateType(row.state),
        state_message=row.state_message,
        parameters=row.parameters,
        created=row.created,
    )
