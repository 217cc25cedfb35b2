"""Queries for run inputs: the pause points of flow runs and the input each was resumed
with. Written by the orchestration service's pause/resume, read by the engine and the API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select, update

from legato.core.pauses import InputStatus, PauseKind, PauseRequest, RunInputRecord
from legato.store.tables import run_inputs

# The monitor expires at most this many overdue pauses per transaction.
OVERDUE_BATCH = 500


def _record(row: Row[Any]) -> RunInputRecord:
    return RunInputRecord(
        flow_run_id=row.flow_run_id,
        key=row.key,
        kind=PauseKind(row.kind),
        status=InputStatus(row.status),
        deadline=row.deadline,
        created=row.created,
        schema=row.schema,
        description=row.description,
        value=row.value,
        responded=row.responded,
    )


def save_request(conn: Connection, flow_run_id: str, request: PauseRequest, now: datetime) -> None:
    """Store a pending pause point, replacing an earlier one with the same key."""
    conn.execute(
        delete(run_inputs)
        .where(run_inputs.c.flow_run_id == flow_run_id)
        .where(run_inputs.c.key == request.key)
    )
    conn.execute(
        insert(run_inputs).values(
            flow_run_id=flow_run_id,
            key=request.key,
            kind=request.kind.value,
            status=InputStatus.PENDING.value,
            schema=request.schema,
            description=request.description,
            value=None,
            deadline=request.deadline,
            created=now,
            responded=None,
        )
    )


def read(conn: Connection, flow_run_id: str, key: str) -> RunInputRecord | None:
    """One pause point of a run, or None."""
    row = conn.execute(
        select(run_inputs)
        .where(run_inputs.c.flow_run_id == flow_run_id)
        .where(run_inputs.c.key == key)
    ).first()
    return None if row is None else _record(row)


def read_pending(conn: Connection, flow_run_id: str) -> RunInputRecord | None:
    """The pause point a run is waiting at (the newest pending one), or None."""
    row = conn.execute(
        select(run_inputs)
        .where(run_inputs.c.flow_run_id == flow_run_id)
        .where(run_inputs.c.status == InputStatus.PENDING.value)
        .order_by(run_inputs.c.created.desc())
        .limit(1)
    ).first()
    return None if row is None else _record(row)


def close(
    conn: Connection,
    flow_run_id: str,
    key: str,
    status: InputStatus,
    now: datetime,
    value: Any = None,
) -> None:
    """Answer (RESPONDED, with `value`) or give up on (EXPIRED) a pending pause point."""
    conn.execute(
        update(run_inputs)
        .where(run_inputs.c.flow_run_id == flow_run_id)
        .where(run_inputs.c.key == key)
        .values(status=status.value, value=value, responded=now)
    )


def overdue(
    conn: Connection, now: datetime, kind: PauseKind, limit: int = OVERDUE_BATCH
) -> list[RunInputRecord]:
    """Pending pause points of one kind whose deadline has passed, oldest deadline first."""
    rows = conn.execute(
        select(run_inputs)
        .where(run_inputs.c.status == InputStatus.PENDING.value)
        .where(run_inputs.c.kind == kind.value)
        .where(run_inputs.c.deadline <= now)
        .order_by(run_inputs.c.deadline)
        .limit(limit)
    ).all()
    return [_record(row) for row in rows]
