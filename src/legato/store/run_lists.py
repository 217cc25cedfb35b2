"""The runs list of the web UI and the API: flow runs filtered by flow, deployment, states,
tag, time range and free text, newest first, paged by a keyset cursor (ADR 0013) so that a
page costs the same at the millionth run as at the first."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    exists,
    func,
    literal,
    select,
    tuple_,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import JSONB

from legato.core.records import FlowRunRecord
from legato.core.states import StateType
from legato.store import run_search
from legato.store.runs import flow_run_record, select_flow_runs
from legato.store.tables import flow_runs, flows

# (created, id) of the last run of the previous page.
Cursor = tuple[datetime, str]


@dataclass(frozen=True, slots=True)
class RunFilter:
    """Filters of the runs list; every given one must match (None: any)."""

    flow_name: str | None = None
    deployment_id: str | None = None
    states: Sequence[StateType] = ()
    tag: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    text: str | None = None
    parent_flow_run_id: str | None = None


def _has_tag(conn: Connection, tag: str) -> ColumnElement[bool]:
    if conn.dialect.name == "postgresql":
        # JSONB containment; a run's tags are a short array.
        return type_coerce(flow_runs.c.tags, JSONB).contains([tag])
    each = func.json_each(flow_runs.c.tags).table_valued("value")
    return exists(select(each.c.value).where(each.c.value == tag))


def where_clauses(conn: Connection, where: RunFilter) -> list[ColumnElement[bool]]:
    """The WHERE conditions of a filter on flow_runs joined with flows."""
    clauses: list[ColumnElement[bool]] = []
    if where.flow_name is not None:
        clauses.append(flows.c.name == where.flow_name)
    if where.deployment_id is not None:
        clauses.append(flow_runs.c.deployment_id == where.deployment_id)
    if where.states:
        clauses.append(flow_runs.c.state.in_(sorted({s.value for s in where.states})))
    if where.tag is not None:
        clauses.append(_has_tag(conn, where.tag))
    if where.since is not None:
        clauses.append(flow_runs.c.created >= where.since)
    if where.until is not None:
        clauses.append(flow_runs.c.created < where.until)
    if where.parent_flow_run_id is not None:
        clauses.append(flow_runs.c.parent_flow_run_id == where.parent_flow_run_id)
    if where.text:
        clauses.append(run_search.text_matches(conn, where.text))
    return clauses


def runs_query(conn: Connection, where: RunFilter, cursor: Cursor | None) -> Select[Any]:
    """The newest-first query of a filter, after `cursor` (no limit)."""
    query = select_flow_runs().where(*where_clauses(conn, where))
    if cursor is not None:
        # A row comparison both dialects can answer from the (created, id) index.
        after = tuple_(
            literal(cursor[0], flow_runs.c.created.type), literal(cursor[1], flow_runs.c.id.type)
        )
        query = query.where(tuple_(flow_runs.c.created, flow_runs.c.id) < after)
    return query.order_by(flow_runs.c.created.desc(), flow_runs.c.id.desc())


def list_runs(
    conn: Connection,
    where: RunFilter,
    *,
    limit: int,
    cursor: Cursor | None = None,
    offset: int = 0,
) -> tuple[list[FlowRunRecord], Cursor | None]:
    """One page of runs and the cursor of the next page (None on the last page).

    `offset` is kept for clients that page by position; it costs a scan of what it skips."""
    if where.text and cursor is None and not offset:
        # Free text that is a run's id finds that run by its key, not by a scan.
        exact = dataclasses.replace(where, text=None)
        query = runs_query(conn, exact, None).where(flow_runs.c.id == where.text)
        row = conn.execute(query).first()
        if row is not None:
            return [flow_run_record(row)], None
    query = runs_query(conn, where, cursor).limit(limit + 1)
    if offset:
        query = query.offset(offset)
    rows = conn.execute(query).all()
    records = [flow_run_record(row) for row in rows[:limit]]
    more = len(rows) > limit
    last = records[-1] if records and more else None
    return records, (last.created, last.id) if last is not None else None


def count_runs_by_state(conn: Connection, where: RunFilter) -> dict[StateType, int]:
    """How many runs of a filter are in each state."""
    query = (
        select(flow_runs.c.state, func.count())
        .select_from(flow_runs.join(flows, flows.c.id == flow_runs.c.flow_id))
        .where(*where_clauses(conn, where))
        .group_by(flow_runs.c.state)
    )
    return {StateType(state): count for state, count in conn.execute(query)}
