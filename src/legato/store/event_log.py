"""Queries for the `events` table (flow-run state changes, asset updates, webhooks, custom
events) and the cursors of the loops that follow it. State events of the audit trail live in
`store.events`; these are the events triggers and notifications react to."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, Row, func, select, update

from legato.core.events import EventRecord
from legato.store import bulk
from legato.store.database import insert_ignoring_duplicates, upsert
from legato.store.tables import deployments, event_cursors, events, flow_runs, flows


def _record(row: Row[Any]) -> EventRecord:
    return EventRecord(
        seq=row.seq,
        id=row.id,
        name=row.name,
        occurred=row.occurred,
        received=row.received,
        resource=row.resource,
        payload=row.payload,
        related=tuple(row.related),
    )


def event_row(
    event_id: str,
    name: str,
    occurred: datetime,
    received: datetime,
    resource: str,
    payload: dict[str, Any],
    related: Sequence[str] = (),
) -> dict[str, Any]:
    """The column values of one event, ready for `insert_events`."""
    return {
        "id": event_id,
        "name": name,
        "occurred": occurred,
        "received": received,
        "resource": resource,
        "payload": payload,
        "related": list(related),
    }


def insert_events(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Append events inside the caller's transaction; an id already stored is skipped (a
    retried delivery)."""
    if rows:
        conn.execute(insert_ignoring_duplicates(conn, events), list(rows))


_COLUMNS = ("id", "name", "occurred", "received", "resource", "payload", "related")


def append_new_events(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Append events whose ids are fresh (made by the caller) in one bulk statement: COPY on
    PostgreSQL, a multi-row INSERT on SQLite. Used on the flow-run transition path, where the
    per-row overhead of an ORM-style insert shows."""
    if not rows:
        return
    ts = bulk.timestamp_writer(conn, bulk.TimestampMemo())  # most rows share one `now`
    bulk.insert_rows(conn, events, _COLUMNS, [
        (r["id"], r["name"], ts(r["occurred"]), ts(r["received"]), r["resource"],
         orjson.dumps(r["payload"]).decode(), orjson.dumps(r["related"]).decode())
        for r in rows
    ])


def read_event(conn: Connection, event_id: str) -> EventRecord | None:
    row = conn.execute(select(events).where(events.c.id == event_id)).first()
    return _record(row) if row is not None else None


def list_events(
    conn: Connection,
    *,
    name: str | None = None,
    prefix: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[EventRecord]:
    """Events newest first, filtered by exact name, name prefix and occurrence time
    (`since` inclusive, `until` exclusive)."""
    query = select(events)
    if name is not None:
        query = query.where(events.c.name == name)
    if prefix is not None:
        # substr rather than LIKE: exact and case-sensitive on both dialects, no escaping of
        # '%' and '_' in user text.
        query = query.where(func.substr(events.c.name, 1, len(prefix)) == prefix)
    if since is not None:
        query = query.where(events.c.occurred >= since)
    if until is not None:
        query = query.where(events.c.occurred < until)
    query = query.order_by(events.c.seq.desc()).limit(limit).offset(offset)
    return [_record(row) for row in conn.execute(query)]


def events_after(conn: Connection, after_seq: int, limit: int) -> list[EventRecord]:
    """Up to `limit` events with seq > after_seq, in seq order (what a cursor reads next)."""
    query = select(events).where(events.c.seq > after_seq).order_by(events.c.seq).limit(limit)
    return [_record(row) for row in conn.execute(query)]


def last_seq(conn: Connection) -> int:
    """The highest seq stored, 0 for none."""
    found = conn.execute(select(events.c.seq).order_by(events.c.seq.desc()).limit(1)).scalar()
    return int(found or 0)


def read_cursor(conn: Connection, name: str, *, for_update: bool = False) -> int | None:
    """Where a consumer stopped reading, or None when it never read. `for_update` locks the
    row on PostgreSQL so two servers do not consume the same events at once."""
    query = select(event_cursors.c.seq).where(event_cursors.c.name == name)
    if for_update and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    found = conn.execute(query).scalar()
    return None if found is None else int(found)


def write_cursor(conn: Connection, name: str, seq: int, now: datetime) -> None:
    done = conn.execute(
        update(event_cursors)
        .where(event_cursors.c.name == name)
        .values(seq=seq, updated=now)
    ).rowcount
    if not done:
        conn.execute(
            upsert(conn, event_cursors, "name", ["seq", "updated"]),
            {"name": name, "seq": seq, "updated": now},
        )




def run_origins(
    conn: Connection, flow_run_ids: Sequence[str]
) -> dict[str, tuple[str, str | None, str | None]]:
    """(flow name, deployment id, deployment name) of each flow run; the deployment parts
    are None for runs made without one (or whose deployment was deleted)."""
    found: dict[str, tuple[str, str | None, str | None]] = {}
    for clause in bulk.membership(conn, flow_runs.c.id, flow_run_ids):
        query = (
            select(flow_runs.c.id, flows.c.name.label("flow_name"),
                   deployments.c.id.label("deployment_id"),
                   deployments.c.name.label("deployment_name"))
            .join(flows, flows.c.id == flow_runs.c.flow_id)
            .outerjoin(deployments, deployments.c.id == flow_runs.c.deployment_id)
            .where(clause)
        )
        found.update(
            (row.id, (row.flow_name, row.deployment_id, row.deployment_name))
            for row in conn.execute(query)
        )
    return found
