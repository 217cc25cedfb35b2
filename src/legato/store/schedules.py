"""The scheduler's queries: claim the schedules due by a moment (an index range on due_at, so
a tick costs O(due schedules)), advance or set aside schedules, insert slot runs once per
idempotency key, and flag late runs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, select, update

from legato.core.schedules import CatchupPolicy, ScheduleSpec
from legato.core.states import StateType
from legato.store.database import insert_ignoring_duplicates
from legato.store.deployments import schedule_spec
from legato.store.tables import deployments, flow_runs, flows, schedules
from legato.store.wakeups import mark_claimable


@dataclass(frozen=True, slots=True)
class DueSchedule:
    """A schedule that is due, with what its deployment's runs are made from."""

    schedule_id: str
    spec: ScheduleSpec | None  # None when the stored row cannot even be read back
    spec_error: str | None
    next_slot: datetime | None
    due_at: datetime
    deployment_id: str
    deployment_name: str
    flow_id: str
    flow_name: str
    flow_version_id: str | None
    entrypoint: str
    parameters: dict[str, Any]
    tags: tuple[str, ...]
    catchup: str
    catchup_window_seconds: int
    catchup_max_runs: int


@dataclass(frozen=True, slots=True)
class ScheduleAdvance:
    """The new position of a schedule after a tick handled it."""

    schedule_id: str
    next_slot: datetime | None
    due_at: datetime | None


def claim_due_schedules(conn: Connection, until: datetime, limit: int) -> list[DueSchedule]:
    """Up to `limit` schedules with due_at <= until, oldest first. On PostgreSQL the rows are
    locked and rows another scheduler holds are skipped; SQLite writers are serialized."""
    query = (
        select(
            schedules.c.id, schedules.c.kind, schedules.c.expression, schedules.c.timezone,
            schedules.c.interval_seconds, schedules.c.anchor, schedules.c.active,
            schedules.c.next_slot, schedules.c.due_at, deployments.c.id.label("deployment_id"),
            deployments.c.name.label("deployment_name"), deployments.c.flow_id,
            flows.c.name.label("flow_name"), deployments.c.flow_version_id,
            deployments.c.entrypoint, deployments.c.parameters, deployments.c.tags,
            deployments.c.catchup, deployments.c.catchup_window_seconds,
            deployments.c.catchup_max_runs,
        )
        .join(deployments, deployments.c.id == schedules.c.deployment_id)
        .join(flows, flows.c.id == deployments.c.flow_id)
        .where(schedules.c.due_at <= until)
        .order_by(schedules.c.due_at, schedules.c.id)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(of=schedules, skip_locked=True)
    return [_due(row) for row in conn.execute(query)]


def _due(row: Any) -> DueSchedule:
    spec: ScheduleSpec | None
    try:
        spec, error = schedule_spec(row), None
        CatchupPolicy(row.catchup)
    except (ValueError, TypeError) as exc:
        spec, error = None, str(exc)
    return DueSchedule(
        schedule_id=row.id,
        spec=spec,
        spec_error=error,
        next_slot=row.next_slot,
        due_at=row.due_at,
        deployment_id=row.deployment_id,
        deployment_name=row.deployment_name,
        flow_id=row.flow_id,
        flow_name=row.flow_name,
        flow_version_id=row.flow_version_id,
        entrypoint=row.entrypoint,
        parameters=row.parameters,
        tags=tuple(row.tags),
        catchup=row.catchup,
        catchup_window_seconds=row.catchup_window_seconds,
        catchup_max_runs=row.catchup_max_runs,
    )


def advance_schedules(
    conn: Connection, advances: Sequence[ScheduleAdvance], now: datetime
) -> None:
    """Store each schedule's next slot and when it is due next (None: parked for good)."""
    if not advances:
        return
    statement = (
        update(schedules)
        .where(schedules.c.id == bindparam("b_id"))
        .values(next_slot=bindparam("b_next"), due_at=bindparam("b_due"), updated=now)
    )
    conn.execute(
        statement,
        [{"b_id": a.schedule_id, "b_next": a.next_slot, "b_due": a.due_at} for a in advances],
    )


def set_aside(conn: Connection, schedule_id: str, error: str, now: datetime) -> None:
    """Park a malformed schedule with the reason, so later ticks do not trip on it again."""
    conn.execute(
        update(schedules)
        .where(schedules.c.id == schedule_id)
        .values(error=error, due_at=None, updated=now)
    )


def insert_runs_once(conn: Connection, rows: Sequence[dict[str, Any]]) -> set[str]:
    """Insert flow-run rows, skipping any whose idempotency key is taken; return the ids
    actually inserted."""
    if not rows:
        return set()
    # executemany with RETURNING: SQLAlchemy batches it into multi-row INSERTs
    # ("insertmanyvalues") from one cached compiled statement.
    statement = insert_ignoring_duplicates(conn, flow_runs).returning(flow_runs.c.id)
    inserted = set(conn.execute(statement, list(rows)).scalars())
    if inserted:
        mark_claimable(conn)
    return inserted


def flag_late_runs(conn: Connection, scheduled_before: datetime) -> list[str]:
    """Mark SCHEDULED runs whose slot is older than `scheduled_before` as late (once each);
    return their ids."""
    statement = (
        update(flow_runs)
        .where(
            and_(
                flow_runs.c.state == StateType.SCHEDULED.value,
                flow_runs.c.late.is_(False),
                flow_runs.c.scheduled_time < scheduled_before,
            )
        )
        .values(late=True)
        .returning(flow_runs.c.id)
    )
    return list(conn.execute(statement).scalars())
