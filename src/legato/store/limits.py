"""Queries for work queues and concurrency limits: insert, read, list, update and delete
their rows. The slots runs hold against them live in `legato.store.slots`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, select, update

from legato.core.limits import ConcurrencyLimitRecord, WorkQueueRecord
from legato.store.database import upsert
from legato.store.tables import concurrency_limits, work_queues


def _queue(row: Row[Any]) -> WorkQueueRecord:
    return WorkQueueRecord(
        name=row.name,
        priority=row.priority,
        concurrency_limit=row.concurrency_limit,
        paused=bool(row.paused),
        description=row.description,
        created=row.created,
        updated=row.updated,
    )


# Built once (SQLAlchemy keeps their cache keys): every claim reads them.
_READ_QUEUES = select(work_queues).where(
    work_queues.c.name.in_(bindparam("b_names", expanding=True)))
_TAG_LIMITS = select(concurrency_limits.c.tag, concurrency_limits.c.slot_limit)


def read_queues(conn: Connection, names: Sequence[str]) -> dict[str, WorkQueueRecord]:
    """The stored queues among `names`, by name (queues never stored are left out)."""
    if not names:
        return {}
    rows = conn.execute(_READ_QUEUES, {"b_names": list(names)})
    return {row.name: _queue(row) for row in rows}


def list_queues(conn: Connection) -> list[WorkQueueRecord]:
    """Every stored queue, highest priority first, then by name."""
    query = select(work_queues).order_by(work_queues.c.priority.desc(), work_queues.c.name)
    return [_queue(row) for row in conn.execute(query)]


def insert_queue(conn: Connection, record: WorkQueueRecord) -> None:
    conn.execute(
        work_queues.insert(),
        {
            "name": record.name,
            "priority": record.priority,
            "concurrency_limit": record.concurrency_limit,
            "paused": record.paused,
            "description": record.description,
            "created": record.created,
            "updated": record.updated,
        },
    )


def update_queue(conn: Connection, name: str, values: dict[str, Any]) -> bool:
    """Change some columns of a queue; False when it is not stored."""
    result = conn.execute(update(work_queues).where(work_queues.c.name == name).values(**values))
    return result.rowcount == 1


def tag_limits(conn: Connection) -> dict[str, int]:
    """Every concurrency limit, tag to slot count (a small table, read whole by claims)."""
    return {row.tag: row.slot_limit for row in conn.execute(_TAG_LIMITS)}


def read_limits(conn: Connection, tags: Sequence[str] | None = None) -> list[ConcurrencyLimitRecord]:
    """Concurrency limits (all, or those of `tags`) by tag, without their holders."""
    query = select(concurrency_limits).order_by(concurrency_limits.c.tag)
    if tags is not None:
        query = query.where(concurrency_limits.c.tag.in_(list(tags)))
    return [
        ConcurrencyLimitRecord(row.tag, row.slot_limit, row.created, row.updated)
        for row in conn.execute(query)
    ]


def put_limit(conn: Connection, tag: str, limit: int, now: datetime) -> None:
    """Create a tag's limit, or change the slot count of an existing one."""
    values = {"tag": tag, "slot_limit": limit, "created": now, "updated": now}
    conn.execute(upsert(conn, concurrency_limits, "tag", ["slot_limit", "updated"]), values)


def delete_limit(conn: Connection, tag: str) -> bool:
    """Drop a tag's limit; False when there was none."""
    result = conn.execute(delete(concurrency_limits).where(concurrency_limits.c.tag == tag))
    return result.rowcount == 1
