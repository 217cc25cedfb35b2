"""The scheduler's queries: claim the schedules due by a moment (an index range on due_at, so
a tick costs O(due schedules)), advance or set aside schedules, insert slot runs once per
idempotency key, and flag late runs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, and_, select, update

from legato.core.schedules import CatchupPolicy, ScheduleSpec
from legato.core.states import StateType
from legato.store import bulk
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
    # One set-based UPDATE on PostgreSQL (COPY into a staging table), not one per schedule.
    ts = bulk.timestamp_writer(conn, bulk.TimestampMemo())
    bulk.update_rows(conn, schedules, "id", ["next_slot", "due_at", "updated"], [
        (ts(a.next_slot), ts(a.due_at), ts(now), a.schedule_id) for a in advances
    ])


def set_aside(conn: Connection, schedule_id: str, error: str, now: datetime) -> None:
    """Park a malformed schedule with the reason, so later ticks do not trip on it again."""
    conn.execute(
        update(schedules)
        .where(schedules.c.id == schedule_id)
        .values(error=error, due_at=None, updated=now)
    )


# The flow_runs columns a slot run is inserted with, in the order of insert_runs_once's rows.
SLOT_RUN_COLUMNS = (
    "id", "flow_id", "flow_version_id", "name", "parameters", "state", "state_message",
    "created", "updated", "start_time", "end_time", "run_count", "entrypoint", "tags",
    "parent_flow_run_id", "parent_task_run_id", "result_serializer", "result_storage",
    "result_data", "result_path", "deployment_id", "schedule_id", "scheduled_time",
    "idempotency_key", "is_backfill", "late", "lease_epoch", "crash_count", "priority",
)


def insert_runs_once(conn: Connection, rows: Sequence[dict[str, Any]]) -> set[str]:
    """Insert flow-run rows (keys: SLOT_RUN_COLUMNS), skipping any whose idempotency key is
    taken, in one bulk statement per chunk; return the ids actually inserted."""
    if not rows:
        return set()
    # One conversion per distinct timestamp object: a tick stamps every row with one `now`.
    ts = bulk.timestamp_writer(conn, bulk.TimestampMemo())
    values = [
        (
            r["id"], r["flow_id"], r["flow_version_id"], r["name"], _json(r["parameters"]),
            r["state"], r["state_message"], ts(r["created"]), ts(r["updated"]),
            ts(r["start_time"]), ts(r["end_time"]), r["run_count"], r["entrypoint"],
            _json(r["tags"]), r["parent_flow_run_id"], r["parent_task_run_id"],
            r["result_serializer"], r["result_storage"], r["result_data"], r["result_path"],
            r["deployment_id"], r["schedule_id"], ts(r["scheduled_time"]),
            r["idempotency_key"], r["is_backfill"], r["late"], r["lease_epoch"],
            r["crash_count"], r["priority"],
        )
        for r in rows
    ]
    inserted = set(bulk.insert_rows_returning_new(conn, flow_runs, SLOT_RUN_COLUMNS, values, "id"))
    if inserted:
        mark_claimable(conn)
    return inserted


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


@dataclass(frozen=True, slots=True)
class LateRun:
    """A SCHEDULED run just flagged late, as its event needs it."""

    id: str
    name: str
    tags: tuple[str, ...]


def flag_late_runs(conn: Connection, scheduled_before: datetime, limit: int) -> list[LateRun]:
    """Mark up to `limit` SCHEDULED runs whose slot is older than `scheduled_before` as late
    (once each); return them."""
    batch = (
        select(flow_runs.c.id)
        .where(
            and_(
                flow_runs.c.state == StateType.SCHEDULED.value,
                flow_runs.c.late.is_(False),
                flow_runs.c.scheduled_time < scheduled_before,
            )
        )
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        # Two schedulers flagging at once: each takes rows the other has not locked.
        batch = batch.with_for_update(skip_locked=True)
    statement = (
        update(flow_runs)
        .where(flow_runs.c.id.in_(batch))
        .values(late=True)
        .returning(flow_runs.c.id, flow_runs.c.name, flow_runs.c.tags)
    )
    return [LateRun(row.id, row.name, tuple(row.tags or ())) for row in conn.execute(statement)]
