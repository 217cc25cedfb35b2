"""Queries for WorkflowTemplates registered with the server: read, list, insert or replace
(the version grows by one per changed text) and delete rows of `workflow_templates`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, select, update

from legato.core.workflow_templates import WorkflowTemplateRecord
from legato.store.tables import workflow_templates as table


def _record(row: Row[Any]) -> WorkflowTemplateRecord:
    return WorkflowTemplateRecord(row.kind, row.name, row.source, row.source_hash, row.version,
                                  row.created, row.updated)


def read(conn: Connection, kind: str, name: str, *,
         for_update: bool = False) -> WorkflowTemplateRecord | None:
    query = select(table).where(table.c.kind == kind).where(table.c.name == name)
    if for_update and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).first()
    return _record(row) if row is not None else None


def list_page(conn: Connection, *, kind: str | None, after: tuple[str, str] | None,
              limit: int) -> list[WorkflowTemplateRecord]:
    """Templates by (kind, name), `limit` of them after the (kind, name) `after`."""
    query = select(table).order_by(table.c.kind, table.c.name).limit(limit)
    if kind is not None:
        query = query.where(table.c.kind == kind)
    if after is not None:
        query = query.where((table.c.kind > after[0])
                            | ((table.c.kind == after[0]) & (table.c.name > after[1])))
    return [_record(row) for row in conn.execute(query)]


def insert(conn: Connection, record: WorkflowTemplateRecord) -> None:
    conn.execute(table.insert(), {
        "kind": record.kind, "name": record.name, "source": record.source,
        "source_hash": record.source_hash, "version": record.version,
        "created": record.created, "updated": record.updated})


def replace(conn: Connection, kind: str, name: str, source: str, source_hash: str,
            version: int, now: datetime) -> None:
    conn.execute(update(table).where(table.c.kind == kind).where(table.c.name == name)
                 .values(source=source, source_hash=source_hash, version=version, updated=now))


def remove(conn: Connection, kind: str, name: str) -> bool:
    result = conn.execute(delete(table).where(table.c.kind == kind).where(table.c.name == name))
    return result.rowcount == 1
