"""Queries for flows and flow versions: the definitions every run is pinned to.

Registration is idempotent and race-free: concurrent callers insert with ON CONFLICT DO
NOTHING and then read back whichever row won."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select

from legato.core.ids import new_id
from legato.core.records import FlowVersionRecord
from legato.errors import NotFound
from legato.store.database import insert_ignoring_duplicates
from legato.store.tables import flow_versions, flows


def find_flow(conn: Connection, name: str) -> str | None:
    """The id of the flow called `name`, or None."""
    return conn.execute(select(flows.c.id).where(flows.c.name == name)).scalar()


def ensure_flow(conn: Connection, name: str, now: datetime) -> str:
    """The id of the flow called `name`, creating the row on first use."""
    flow_id = find_flow(conn, name)
    if flow_id is None:
        conn.execute(
            insert_ignoring_duplicates(conn, flows), {"id": new_id(), "name": name, "created": now}
        )
        flow_id = conn.execute(select(flows.c.id).where(flows.c.name == name)).scalar_one()
    return flow_id


def _find_version(conn: Connection, flow_id: str, source_hash: str) -> str | None:
    return conn.execute(
        select(flow_versions.c.id).where(
            flow_versions.c.flow_id == flow_id, flow_versions.c.source_hash == source_hash
        )
    ).scalar()


def register_flow_version(
    conn: Connection,
    flow_name: str,
    source: str,
    source_hash: str,
    entrypoint: str | None,
    now: datetime,
) -> str:
    """Store a flow definition once per (flow_name, source_hash); return the version id."""
    flow_id = ensure_flow(conn, flow_name, now)
    version_id = _find_version(conn, flow_id, source_hash)
    if version_id is not None:
        return version_id
    conn.execute(
        insert_ignoring_duplicates(conn, flow_versions),
        {
            "id": new_id(),
            "flow_id": flow_id,
            "source_hash": source_hash,
            "source": source,
            "entrypoint": entrypoint,
            "created": now,
        },
    )
    # Read back rather than trust our own id: a concurrent caller may have won the insert.
    version_id = _find_version(conn, flow_id, source_hash)
    assert version_id is not None, "flow version vanished inside its own transaction"
    return version_id


def read_flow_version(conn: Connection, flow_version_id: str) -> FlowVersionRecord:
    """A stored flow definition; raise NotFound for an unknown id."""
    row = conn.execute(
        select(
            flow_versions.c.id,
            flows.c.name,
            flow_versions.c.source_hash,
            flow_versions.c.source,
            flow_versions.c.entrypoint,
            flow_versions.c.created,
        )
        .join(flows, flows.c.id == flow_versions.c.flow_id)
        .where(flow_versions.c.id == flow_version_id)
    ).one_or_none()
    if row is None:
        raise NotFound(
            f"flow version {flow_version_id!r} does not exist; register the flow first or "
            "check the id."
        )
    return FlowVersionRecord(
        id=row.id,
        flow_name=row.name,
        source_hash=row.source_hash,
        source=row.source,
        entrypoint=row.entrypoint,
        created=row.created,
    )


def flow_version_exists(conn: Connection, flow_version_id: str) -> bool:
    """Whether a flow version with this id is stored."""
    query = select(flow_versions.c.id).where(flow_versions.c.id == flow_version_id)
    return conn.execute(query).first() is not None
