"""Queries for registered workers: register (by name), heartbeat and list."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, select, update

from legato.core.workers import WorkerRecord
from legato.store.tables import workers


def _record(row: Row[Any]) -> WorkerRecord:
    return WorkerRecord(
        id=row.id,
        name=row.name,
        queues=tuple(row.queues),
        heartbeat_at=row.heartbeat_at,
        status=row.status,
        pid=row.pid,
        host=row.host,
    )


def find_by_name(conn: Connection, name: str) -> str | None:
    """The id of the worker called `name`, or None."""
    found: str | None = conn.execute(
        select(workers.c.id).where(workers.c.name == name)
    ).scalar_one_or_none()
    return found


def insert_worker(conn: Connection, record: WorkerRecord) -> None:
    """Insert a newly registered worker."""
    conn.execute(workers.insert(), _values(record) | {"id": record.id, "name": record.name})


def update_worker(conn: Connection, record: WorkerRecord) -> None:
    """Replace what is stored about a worker that registers again under its name."""
    conn.execute(update(workers).where(workers.c.id == record.id).values(_values(record)))


def _values(record: WorkerRecord) -> dict[str, Any]:
    return {
        "queues": list(record.queues),
        "heartbeat_at": record.heartbeat_at,
        "status": record.status,
        "pid": record.pid,
        "host": record.host,
    }


def touch(conn: Connection, worker_id: str, now: datetime, status: str) -> bool:
    """Record a worker's heartbeat and status; False for an unknown worker."""
    result = conn.execute(
        update(workers).where(workers.c.id == worker_id).values(heartbeat_at=now, status=status)
    )
    return result.rowcount == 1


# Built once (SQLAlchemy keeps its cache key): every claim reads its worker.
_READ_WORKER = select(workers).where(workers.c.id == bindparam("b_id"))


def read_worker(conn: Connection, worker_id: str) -> WorkerRecord | None:
    """One worker, or None."""
    row = conn.execute(_READ_WORKER, {"b_id": worker_id}).one_or_none()
    return None if row is None else _record(row)


def list_workers(conn: Connection, names: Sequence[str] | None = None) -> list[WorkerRecord]:
    """Registered workers by name."""
    query = select(workers).order_by(workers.c.name)
    if names:
        query = query.where(workers.c.name.in_(list(names)))
    return [_record(row) for row in conn.execute(query)]
