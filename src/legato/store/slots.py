"""Queries for concurrency slots: the rows a flow run holds against the limits that apply
to it (a tag's, its deployment's max_active_runs, its work queue's). A slot is a lease: it
expires with its run's lease, is renewed by the same heartbeat and counts only until it
expires; a run's end releases its slots, and the monitor deletes expired ones."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, func, select, update

from legato.core.deployments import DEFAULT_WORK_QUEUE
from legato.core.limits import SlotHolder
from legato.store.database import insert_ignoring_duplicates
from legato.store.tables import concurrency_slots, deployments, flow_runs, leases
from legato.store.wakeups import mark_claimable

# Built once (SQLAlchemy keeps its cache key): every claim reads it.
_HELD_COUNTS = (
    select(concurrency_slots.c.key, func.count())
    .where(concurrency_slots.c.expires_at
           >= bindparam("b_now", type_=concurrency_slots.c.expires_at.type))
    .group_by(concurrency_slots.c.key)
)


def held_counts(conn: Connection, now: datetime) -> dict[str, int]:
    """How many unexpired slots each key has (one row per limit in use)."""
    return {key: count for key, count in conn.execute(_HELD_COUNTS, {"b_now": now}).tuples()}


def acquire(
    conn: Connection, keys: Iterable[str], flow_run_id: str, now: datetime, expires_at: datetime
) -> None:
    """Take one slot of each key for a flow run, expiring with its lease."""
    rows = [
        {"key": key, "holder_id": flow_run_id, "flow_run_id": flow_run_id,
         "acquired_at": now, "expires_at": expires_at}
        for key in keys
    ]
    if rows:
        conn.execute(insert_ignoring_duplicates(conn, concurrency_slots), rows)


def renew(conn: Connection, flow_run_id: str, expires_at: datetime) -> None:
    """Extend every slot a run holds itself along with its lease (its task runs' slots
    are leases of their own, renewed by the engine)."""
    conn.execute(
        update(concurrency_slots)
        .where(concurrency_slots.c.flow_run_id == flow_run_id)
        .where(concurrency_slots.c.holder_id == flow_run_id)
        .values(expires_at=expires_at)
    )


# Built once (SQLAlchemy keeps its cache key): every run's ending releases its slots.
_RELEASE_RUN = delete(concurrency_slots).where(
    concurrency_slots.c.flow_run_id == bindparam("b_id"))


def release_run(conn: Connection, flow_run_id: str) -> int:
    """Free every slot a run holds; waiting claims are woken when any was freed."""
    result = conn.execute(_RELEASE_RUN, {"b_id": flow_run_id})
    if result.rowcount:
        mark_claimable(conn)
    return result.rowcount


def delete_expired(conn: Connection, now: datetime) -> int:
    """Drop slots whose lease expired before `now` (their holder died or lost its run)."""
    result = conn.execute(delete(concurrency_slots).where(concurrency_slots.c.expires_at < now))
    return result.rowcount


def holders(conn: Connection, keys: Sequence[str], now: datetime) -> dict[str, list[SlotHolder]]:
    """The unexpired holders of each key, oldest first."""
    if not keys:
        return {}
    query = (
        select(concurrency_slots)
        .where(concurrency_slots.c.key.in_(list(keys)))
        .where(concurrency_slots.c.expires_at >= now)
        .order_by(concurrency_slots.c.acquired_at, concurrency_slots.c.holder_id)
    )
    found: dict[str, list[SlotHolder]] = {key: [] for key in keys}
    for row in conn.execute(query):
        found[row.key].append(SlotHolder(row.flow_run_id, row.acquired_at, row.expires_at))
    return found


@dataclass(frozen=True, slots=True)
class LeasedRun:
    """A run holding an unexpired lease, with what decides which limits it counts against."""

    flow_run_id: str
    deployment_id: str | None
    queue: str
    tags: tuple[str, ...]
    expires_at: datetime


def leased_runs(conn: Connection, now: datetime) -> list[LeasedRun]:
    """Every run holding an unexpired lease: what a new limit adopts as its first holders."""
    query = (
        select(flow_runs.c.id, flow_runs.c.deployment_id, flow_runs.c.tags, leases.c.expires_at,
               func.coalesce(deployments.c.work_queue, DEFAULT_WORK_QUEUE).label("queue"))
        .select_from(
            leases.join(flow_runs, flow_runs.c.id == leases.c.flow_run_id)
            .outerjoin(deployments, deployments.c.id == flow_runs.c.deployment_id)
        )
        .where(leases.c.expires_at >= now)
    )
    return [LeasedRun(row.id, row.deployment_id, row.queue, tuple(row.tags or ()),
                      row.expires_at)
            for row in conn.execute(query)]


def drop_key(conn: Connection, key: str) -> None:
    """Forget every slot of a limit that no longer exists."""
    conn.execute(delete(concurrency_slots).where(concurrency_slots.c.key == key))


def adopt(conn: Connection, key: str, runs: Iterable[LeasedRun], now: datetime) -> None:
    """Give `key` a slot for each leased run: runs already going when a limit is created
    or changed count against it."""
    rows = [
        {"key": key, "holder_id": run.flow_run_id, "flow_run_id": run.flow_run_id,
         "acquired_at": now, "expires_at": run.expires_at}
        for run in runs
    ]
    if rows:
        conn.execute(insert_ignoring_duplicates(conn, concurrency_slots), rows)
