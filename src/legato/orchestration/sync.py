"""Mutexes and semaphores of YAML workflows through the one door: take, renew and release
expiring slots in the store, so a lock holds across processes and runs and a dead holder
frees it when its lease runs out. LocalBackend calls these; the server's routes reach them
through it."""

from __future__ import annotations

from datetime import datetime, timedelta

from legato.core.sync import SyncGrant, sync_key
from legato.errors import ParameterError
from legato.store import limits as limit_rows
from legato.store import sync_slots
from legato.store.database import Database

MAX_LEASE_SECONDS = 3600.0


def _check(holder_id: str, lease_seconds: float) -> None:
    if not holder_id or len(holder_id) > 36:
        raise ParameterError(f"sync holder id {holder_id!r} must have 1 to 36 characters.")
    if not 0 < lease_seconds <= MAX_LEASE_SECONDS:
        raise ParameterError(f"sync lease of {lease_seconds} s is out of range; use more than 0 "
                             f"and at most {MAX_LEASE_SECONDS:g} seconds.")


def acquire(db: Database, kind: str, name: str, holder_id: str, flow_run_id: str, *,
            now: datetime, default_limit: int, lease_seconds: float) -> SyncGrant:
    """One attempt to take a slot (see `core.sync.SyncLeases.acquire_sync`).

    >>> acquire(db, "mutex", "db", "h1", run_id, now=now, default_limit=1,
    ...         lease_seconds=30).acquired
    True
    """
    _check(holder_id, lease_seconds)
    key = sync_key(kind, name)
    expires = now + timedelta(seconds=lease_seconds)
    with db.writing() as conn:
        sync_slots.lock_key(conn, key)
        limit = 1
        if kind == "semaphore":
            stored = limit_rows.read_limits(conn, [name])
            limit = stored[0].limit if stored else max(default_limit, 0)
        holders = sync_slots.held(conn, key, now)
        if holder_id in holders:
            sync_slots.renew(conn, key, holder_id, expires)
            return SyncGrant(True, limit, len(holders))
        if len(holders) >= limit:
            return SyncGrant(False, limit, len(holders))
        sync_slots.take(conn, key, holder_id, flow_run_id, now, expires)
        return SyncGrant(True, limit, len(holders) + 1)


def renew(db: Database, holder_ids: list[str], *, now: datetime, lease_seconds: float) -> int:
    """Extend the leases of holders still holding; how many were."""
    for holder in holder_ids:
        _check(holder, lease_seconds)
    with db.writing() as conn:
        return sync_slots.renew_holders(conn, holder_ids, now,
                                        now + timedelta(seconds=lease_seconds))


def release(db: Database, holder_id: str) -> None:
    with db.writing() as conn:
        sync_slots.release(conn, holder_id)
