"""Queries for task-run slots: a RUNNING task run carrying a limited tag holds one row of
`concurrency_slots` per such tag (key "task-tag:<tag>", holder = the task run). Like flow-run
slots they are leases that count only until they expire; the engine renews them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, delete, func, select, update

from legato.core.limits import TaskSlotGrant, task_tag_key
from legato.store.database import insert_ignoring_duplicates
from legato.store.tables import concurrency_limits, concurrency_slots
from legato.store.wakeups import mark_claimable


def limited_tags(conn: Connection) -> frozenset[str]:
    """Every tag that has a concurrency limit (a small table, read whole)."""
    return frozenset(conn.execute(select(concurrency_limits.c.tag)).scalars())


def acquire(
    conn: Connection,
    holder_id: str,
    flow_run_id: str,
    tags: Sequence[str],
    now: datetime,
    expires_at: datetime,
) -> TaskSlotGrant:
    """Take one slot of every limited tag among `tags` for a task run, all or none. Tags
    without a limit need no slot. Slots the holder has already count as its own, so asking
    again (a retried request) is granted again and extends them."""
    wanted = sorted(set(tags))
    if not wanted:
        return TaskSlotGrant(True)
    # FOR UPDATE on the limit rows (in tag order, so two acquirers cannot deadlock)
    # serializes acquirers of one tag on PostgreSQL; SQLite's single writer already does.
    limit_query = (
        select(concurrency_limits.c.tag, concurrency_limits.c.slot_limit)
        .where(concurrency_limits.c.tag.in_(wanted))
        .order_by(concurrency_limits.c.tag)
        .with_for_update()
    )
    limits = {tag: limit for tag, limit in conn.execute(limit_query).tuples()}
    if not limits:
        return TaskSlotGrant(True)
    keys = {task_tag_key(tag): tag for tag in limits}
    count_query = (
        select(concurrency_slots.c.key, func.count())
        .where(concurrency_slots.c.key.in_(list(keys)))
        .where(concurrency_slots.c.expires_at >= now)
        .where(concurrency_slots.c.holder_id != holder_id)
        .group_by(concurrency_slots.c.key)
    )
    held = {keys[key]: count for key, count in conn.execute(count_query).tuples()}
    full = tuple(tag for tag, limit in limits.items() if held.get(tag, 0) >= limit)
    if full:
        return TaskSlotGrant(False, full)
    # A slot of this holder that expired (and may have been counted out) is taken afresh.
    conn.execute(
        delete(concurrency_slots)
        .where(concurrency_slots.c.holder_id == holder_id)
        .where(concurrency_slots.c.key.in_(list(keys)))
    )
    rows = [
        {"key": key, "holder_id": holder_id, "flow_run_id": flow_run_id,
         "acquired_at": now, "expires_at": expires_at}
        for key in keys
    ]
    conn.execute(insert_ignoring_duplicates(conn, concurrency_slots), rows)
    return TaskSlotGrant(True)


def renew(conn: Connection, holder_ids: Sequence[str], now: datetime, expires_at: datetime) -> int:
    """Extend the unexpired task slots of these holders; how many slot rows were extended.
    An expired slot stays expired: another task run may have taken its place."""
    if not holder_ids:
        return 0
    result = conn.execute(
        update(concurrency_slots)
        .where(concurrency_slots.c.holder_id.in_(list(holder_ids)))
        .where(concurrency_slots.c.key.like("task-tag:%"))
        .where(concurrency_slots.c.expires_at >= now)
        .values(expires_at=expires_at)
    )
    return result.rowcount


def release(conn: Connection, holder_id: str) -> int:
    """Free the task slots of a holder; waiting task runs are woken when any was freed."""
    result = conn.execute(
        delete(concurrency_slots)
        .where(concurrency_slots.c.holder_id == holder_id)
        .where(concurrency_slots.c.key.like("task-tag:%"))
    )
    if result.rowcount:
        mark_claimable(conn)
    return result.rowcount
