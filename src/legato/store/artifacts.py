"""Queries for artifacts (tables, markdown, links that runs record for people): bulk insert
from write batches, and reads per flow run and by key."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, select

from legato.core.records import ArtifactRow
from legato.store.tables import artifacts


def insert_artifacts(conn: Connection, rows: Sequence[ArtifactRow]) -> None:
    """Insert artifacts; one made twice (a replayed batch) is stored once."""
    if not rows:
        return
    known = set(
        conn.execute(
            select(artifacts.c.id).where(artifacts.c.id.in_([row.id for row in rows]))
        ).scalars()
    )
    fresh = {row.id: row for row in rows if row.id not in known}
    if fresh:
        conn.execute(
            artifacts.insert(),
            [
                {
                    "id": row.id,
                    "flow_run_id": row.flow_run_id,
                    "task_run_id": row.task_run_id,
                    "key": row.key,
                    "kind": row.kind,
                    "description": row.description,
                    "data": row.data,
                    "created": row.created,
                }
                for row in fresh.values()
            ],
        )


def _document(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "flow_run_id": row.flow_run_id,
        "task_run_id": row.task_run_id,
        "key": row.key,
        "kind": row.kind,
        "description": row.description,
        "data": row.data,
        "created": row.created,
    }


def read_artifacts(conn: Connection, flow_run_id: str, *, limit: int) -> list[dict[str, Any]]:
    """A flow run's artifacts, oldest first."""
    query = (
        select(artifacts)
        .where(artifacts.c.flow_run_id == flow_run_id)
        .order_by(artifacts.c.created, artifacts.c.id)
        .limit(limit)
    )
    return [_document(row) for row in conn.execute(query)]


def read_by_key(conn: Connection, key: str, *, limit: int) -> list[dict[str, Any]]:
    """The artifacts made under `key`, newest first (the first is the current version)."""
    query = (
        select(artifacts)
        .where(artifacts.c.key == key)
        .order_by(artifacts.c.created.desc(), artifacts.c.id.desc())
        .limit(limit)
    )
    return [_document(row) for row in conn.execute(query)]
