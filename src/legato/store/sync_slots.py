"""Queries for mutex and semaphore slots of YAML workflows: rows of `concurrency_slots` under
`sync:` keys, one per holder, expiring unless renewed; the run's end releases them with its
other slots (`slots.release_run`), and the monitor deletes expired ones."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, delete, func, select, text, update

from legato.store.tables import concurrency_slots


def lock_key(conn: Connection, key: str) -> None:
    """Serialize attempts on one key until the transaction ends (SQLite's single writer,
    taken by BEGIN IMMEDIATE, does this already)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:a, :b)"),
                     {"a": 0x5C1D, "b": zlib.crc32(key.encode()) - 2**31})


def held(conn: Connection, key: str, now: datetime) -> list[str]:
    """Holder ids of a key's unexpired slots."""
    query = (select(concurrency_slots.c.holder_id)
             .where(concurrency_slots.c.key == key)
             .where(concurrency_slots.c.expires_at >= now))
    return list(conn.execute(query).scalars())


def take(conn: Connection, key: str, holder_id: str, flow_run_id: str, now: datetime,
         expires_at: datetime) -> None:
    """Give `holder_id` a slot of `key`, replacing an expired row of the same holder."""
    conn.execute(delete(concurrency_slots).where(concurrency_slots.c.key == key)
                 .where(concurrency_slots.c.holder_id == holder_id))
    conn.execute(concurrency_slots.insert(), {
        "key": key, "holder_id": holder_id, "flow_run_id": flow_run_id,
        "acquired_at": now, "expires_at": expires_at})


def renew(conn: Connection, key: str, holder_id: str, expires_at: datetime) -> None:
    conn.execute(update(concurrency_slots).where(concurrency_slots.c.key == key)
                 .where(concurrency_slots.c.holder_id == holder_id)
                 .values(expires_at=expires_at))


def renew_holders(conn: Connection, holder_ids: Sequence[str], now: datetime,
                  expires_at: datetime) -> int:
    """Extend the unexpired sync slots of these holders; how many were extended."""
    if not holder_ids:
        return 0
    result = conn.execute(
        update(concurrency_slots)
        .where(concurrency_slots.c.holder_id.in_(list(holder_ids)))
        .where(concurrency_slots.c.key.like("sync:%"))
        .where(concurrency_slots.c.expires_at >= now)
        .values(expires_at=expires_at))
    return result.rowcount


def release(conn: Connection, holder_id: str) -> int:
    result = conn.execute(delete(concurrency_slots)
                          .where(concurrency_slots.c.holder_id == holder_id)
                          .where(concurrency_slots.c.key.like("sync:%")))
    return result.rowcount


def count_held(conn: Connection, key: str, now: datetime) -> int:
    query = (select(func.count()).select_from(concurrency_slots)
             .where(concurrency_slots.c.key == key)
             .where(concurrency_slots.c.expires_at >= now))
    return int(conn.execute(query).scalar_one())
