"""Queries for leases: grant, renew, drop and find expired (or timed-out) leases, and read
or bump a flow run's fencing epoch. The claim query itself is in `legato.store.claims`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, select, update

from legato.store.database import upsert
from legato.store.tables import deployments, flow_runs, leases, workers

# The monitor handles at most this many expired leases per transaction.
EXPIRED_BATCH = 500


@dataclass(frozen=True, slots=True)
class ExpiredLease:
    """A lease past its expiry, with what the monitor needs to decide about its run."""

    flow_run_id: str
    worker_name: str
    heartbeat_at: datetime
    crash_count: int
    crash_retries: int | None


def bump_epoch(conn: Connection, flow_run_id: str) -> int:
    """Increment a run's lease epoch (fencing off every earlier holder); return the new one."""
    conn.execute(
        update(flow_runs)
        .where(flow_runs.c.id == flow_run_id)
        .values(lease_epoch=flow_runs.c.lease_epoch + 1)
    )
    return read_epoch(conn, flow_run_id) or 0


def read_epoch(conn: Connection, flow_run_id: str, *, for_update: bool = False) -> int | None:
    """A flow run's current lease epoch, or None when the run does not exist."""
    query = select(flow_runs.c.lease_epoch).where(flow_runs.c.id == flow_run_id)
    if for_update and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    value: int | None = conn.execute(query).scalar_one_or_none()
    return value


def grant(
    conn: Connection,
    flow_run_id: str,
    worker_id: str,
    epoch: int,
    now: datetime,
    expires_at: datetime,
    timeout_at: datetime | None = None,
) -> None:
    """Create or replace the lease of a run (`timeout_at`: when its run timeout ends it)."""
    values: dict[str, Any] = {
        "flow_run_id": flow_run_id,
        "worker_id": worker_id,
        "epoch": epoch,
        "expires_at": expires_at,
        "heartbeat_at": now,
        "timeout_at": timeout_at,
    }
    columns = ["worker_id", "epoch", "expires_at", "heartbeat_at", "timeout_at"]
    conn.execute(upsert(conn, leases, "flow_run_id", columns), values)


def grant_all(conn: Connection, grants: list[dict[str, Any]]) -> None:
    """`grant` for many runs in one statement; each dict has the keys of grant's row."""
    if grants:
        columns = ["worker_id", "epoch", "expires_at", "heartbeat_at", "timeout_at"]
        conn.execute(upsert(conn, leases, "flow_run_id", columns), grants)


def renew(
    conn: Connection,
    flow_run_id: str,
    worker_id: str,
    epoch: int,
    now: datetime,
    expires_at: datetime,
) -> bool:
    """Extend a lease held by `worker_id` at `epoch`; False when there is no such lease."""
    result = conn.execute(
        update(leases)
        .where(leases.c.flow_run_id == flow_run_id)
        .where(leases.c.worker_id == worker_id)
        .where(leases.c.epoch == epoch)
        .values(expires_at=expires_at, heartbeat_at=now)
    )
    return result.rowcount == 1


# Built once (SQLAlchemy keeps its cache key): every run's ending releases its lease.
_RELEASE = delete(leases).where(leases.c.flow_run_id == bindparam("b_id"))


def release(conn: Connection, flow_run_id: str) -> None:
    """Drop the lease of a run, if any."""
    conn.execute(_RELEASE, {"b_id": flow_run_id})


def expired(conn: Connection, now: datetime, limit: int = EXPIRED_BATCH) -> list[ExpiredLease]:
    """Leases that expired before `now`, oldest expiry first (uses the expires_at index);
    not locked: lock each run's row, then `lock_expired`, as every path locks runs first."""
    query = (
        select(
            leases.c.flow_run_id,
            func.coalesce(workers.c.name, leases.c.worker_id).label("worker_name"),
            leases.c.heartbeat_at,
            flow_runs.c.crash_count,
            deployments.c.crash_retries,
        )
        .select_from(
            leases.outerjoin(workers, workers.c.id == leases.c.worker_id)
            .outerjoin(flow_runs, flow_runs.c.id == leases.c.flow_run_id)
            .outerjoin(deployments, deployments.c.id == flow_runs.c.deployment_id)
        )
        .where(leases.c.expires_at < now)
        .order_by(leases.c.expires_at)
        .limit(limit)
    )
    return [
        ExpiredLease(
            row.flow_run_id, row.worker_name, row.heartbeat_at, row.crash_count or 0,
            row.crash_retries,
        )
        for row in conn.execute(query)
    ]


def lock_expired(conn: Connection, flow_run_id: str, now: datetime) -> bool:
    """Lock a run's lease if it is still expired at `now`; False when it was renewed,
    re-granted or dropped meanwhile. Lock the flow run's row first (lock order)."""
    query = (
        select(leases.c.flow_run_id)
        .where(leases.c.flow_run_id == flow_run_id)
        .where(leases.c.expires_at < now)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return conn.execute(query).first() is not None


def count_crash(conn: Connection, flow_run_id: str) -> None:
    """Count one more crash of a run whose holder died."""
    conn.execute(
        update(flow_runs)
        .where(flow_runs.c.id == flow_run_id)
        .values(crash_count=flow_runs.c.crash_count + 1)
    )


def crash_policy(conn: Connection, flow_run_id: str) -> tuple[int, int]:
    """(crashes so far, crash retries its deployment allows; 0 without one) of a run."""
    query = (
        select(flow_runs.c.crash_count, deployments.c.crash_retries)
        .select_from(flow_runs.outerjoin(deployments, deployments.c.id == flow_runs.c.deployment_id))
        .where(flow_runs.c.id == flow_run_id)
    )
    row = conn.execute(query).first()
    if row is None:
        return 0, 0
    return int(row.crash_count or 0), int(row.crash_retries or 0)


def set_crash_retries(conn: Connection, deployment_id: str, retries: int) -> bool:
    """How often runs of a deployment are rescheduled after their worker died; False for
    an unknown deployment."""
    result = conn.execute(
        update(deployments).where(deployments.c.id == deployment_id).values(crash_retries=retries)
    )
    return result.rowcount == 1


@dataclass(frozen=True, slots=True)
class TimedOutLease:
    """A lease whose run timeout passed, with the deployment's timeout in seconds."""

    flow_run_id: str
    timeout_seconds: float | None


def timed_out(conn: Connection, now: datetime, limit: int = EXPIRED_BATCH) -> list[TimedOutLease]:
    """Leases whose run timeout passed before `now`, earliest first (timeout_at index); not
    locked: lock the run's row first, then `lock_timed_out`."""
    query = (
        select(leases.c.flow_run_id, deployments.c.run_timeout_seconds)
        .select_from(
            leases.outerjoin(flow_runs, flow_runs.c.id == leases.c.flow_run_id)
            .outerjoin(deployments, deployments.c.id == flow_runs.c.deployment_id)
        )
        .where(leases.c.timeout_at < now)
        .order_by(leases.c.timeout_at)
        .limit(limit)
    )
    return [TimedOutLease(row.flow_run_id, row.run_timeout_seconds) for row in conn.execute(query)]


def lock_timed_out(conn: Connection, flow_run_id: str, now: datetime) -> bool:
    """Lock a run's lease if its timeout still passed at `now`; False when the lease was
    dropped or re-granted meanwhile. Lock the flow run's row first (lock order)."""
    query = (
        select(leases.c.flow_run_id)
        .where(leases.c.flow_run_id == flow_run_id)
        .where(leases.c.timeout_at < now)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return conn.execute(query).first() is not None


def clear_timeout(conn: Connection, flow_run_id: str) -> None:
    """The run's timeout was handled: the monitor does not look at it again."""
    conn.execute(update(leases).where(leases.c.flow_run_id == flow_run_id).values(timeout_at=None))
