"""Queries for the task result cache: results keyed by a task's cache key, with an optional
expiry."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select

from legato.core.records import ResultRef
from legato.store.database import upsert
from legato.store.tables import cache

_REPLACED = ["serializer", "storage", "data", "path", "created", "expires"]


def read_cache(conn: Connection, key: str, now: datetime) -> ResultRef | None:
    """The cached result for `key`, or None if there is none or it expired at or before now."""
    row = conn.execute(select(cache).where(cache.c.key == key)).one_or_none()
    if row is None or (row.expires is not None and row.expires <= now):
        return None
    data = bytes(row.data) if row.data is not None else None
    return ResultRef(serializer=row.serializer, storage=row.storage, data=data, path=row.path)


def write_cache(
    conn: Connection, key: str, result: ResultRef, expires: datetime | None, now: datetime
) -> None:
    """Store the result for `key`, replacing any previous one."""
    conn.execute(
        upsert(conn, cache, "key", _REPLACED),
        {
            "key": key,
            "serializer": result.serializer,
            "storage": result.storage,
            "data": result.data,
            "path": result.path,
            "created": now,
            "expires": expires,
        },
    )
