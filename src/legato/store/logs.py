"""Queries for run log lines: bulk append, and cursor-paginated reads by id."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, select

from legato.core.records import LogRecord, LogRow
from legato.store import bulk
from legato.store.bulk import timestamp_writer
from legato.store.tables import logs

_COLUMNS = ("flow_run_id", "task_run_id", "level", "logger", "message", "timestamp")


def insert_logs(conn: Connection, rows: Sequence[LogRow]) -> None:
    """Append log lines in one bulk statement, keeping their order in the id sequence."""
    ts = timestamp_writer(conn)
    bulk.insert_rows(
        conn,
        logs,
        _COLUMNS,
        [
            (r.flow_run_id, r.task_run_id, r.level, r.logger, r.message, ts(r.timestamp))
            for r in rows
        ],
    )


def read_logs(
    conn: Connection,
    flow_run_id: str,
    *,
    task_run_id: str | None,
    after_id: int,
    limit: int,
    min_level: int | None = None,
    text: str | None = None,
) -> list[LogRecord]:
    """Up to `limit` lines of a flow run (optionally one task run) with id > after_id, at
    `min_level` or above and containing `text` (case-insensitive) when given."""
    query = select(logs).where(logs.c.flow_run_id == flow_run_id, logs.c.id > after_id)
    if task_run_id is not None:
        query = query.where(logs.c.task_run_id == task_run_id)
    if min_level is not None:
        query = query.where(logs.c.level >= min_level)
    if text:
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(logs.c.message.ilike(f"%{escaped}%", escape="\\"))
    query = query.order_by(logs.c.id).limit(limit)
    return [
        LogRecord(
            id=row.id,
            flow_run_id=row.flow_run_id,
            task_run_id=row.task_run_id,
            level=row.level,
            logger=row.logger,
            message=row.message,
            timestamp=row.timestamp,
        )
        for row in conn.execute(query)
    ]
