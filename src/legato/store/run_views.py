"""Read models of the web UI over task runs: the graph of one run, the grid of a deployment's
recent runs x their tasks, task durations across runs and a side-by-side comparison. Each is
a few set-based queries on indexed columns, shaped as plain dicts and lists ready for JSON."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, func, select

from legato.store import bulk
from legato.store.tables import flow_runs, flows, task_edges, task_runs


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds(), 6)


def map_parent(task_key: str) -> str | None:
    """The key of the `.map()` call a mapped task run belongs to ("load-2[7]" → "load-2")."""
    cut = task_key.find("[")
    return task_key[:cut] if cut > 0 and task_key.endswith("]") else None


def run_graph(conn: Connection, flow_run_id: str) -> dict[str, Any]:
    """Every task run of a flow run (creation order) and its edges as [upstream, downstream]."""
    query = (
        select(
            task_runs.c.id,
            task_runs.c.task_key,
            task_runs.c.task_name,
            task_runs.c.state,
            task_runs.c.start_time,
            task_runs.c.end_time,
            task_runs.c.map_index,
            task_runs.c.child_flow_run_id,
            task_runs.c.attempts,
        )
        .where(task_runs.c.flow_run_id == flow_run_id)
        .order_by(task_runs.c.created, task_runs.c.id)
    )
    tasks = [
        {
            "id": row.id,
            "task_key": row.task_key,
            "name": row.task_name,
            "state": row.state,
            "start": row.start_time,
            "end": row.end_time,
            "map_index": row.map_index,
            "parent_task_key": map_parent(row.task_key) if row.map_index is not None else None,
            "subflow_run_id": row.child_flow_run_id,
            "attempts": row.attempts,
        }
        for row in conn.execute(query)
    ]
    edge_query = select(task_edges.c.upstream_id, task_edges.c.downstream_id).where(
        task_edges.c.flow_run_id == flow_run_id
    )
    edges = [[up, down] for up, down in conn.execute(edge_query)]
    return {"flow_run_id": flow_run_id, "tasks": tasks, "edges": edges}


@dataclass(frozen=True, slots=True)
class RunColumn:
    """A run heading a column of the grid or of a comparison."""

    id: str
    name: str
    flow_name: str
    state: str
    created: datetime
    start: datetime | None
    end: datetime | None
    parameters: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "flow_name": self.flow_name,
            "state": self.state,
            "created": self.created,
            "start": self.start,
            "end": self.end,
            "duration": _seconds(self.start, self.end),
        }


_RUN_COLUMNS = (
    flow_runs.c.id,
    flow_runs.c.name,
    flows.c.name.label("flow_name"),
    flow_runs.c.state,
    flow_runs.c.created,
    flow_runs.c.start_time,
    flow_runs.c.end_time,
    flow_runs.c.parameters,
)


def _run_column(row: Any) -> RunColumn:
    return RunColumn(
        row.id, row.name, row.flow_name, row.state, row.created, row.start_time, row.end_time,
        row.parameters,
    )


def recent_runs(
    conn: Connection, *, deployment_id: str | None, flow_name: str | None, limit: int
) -> list[RunColumn]:
    """The newest `limit` runs of a deployment or a flow, oldest first."""
    query = select(*_RUN_COLUMNS).join(flows, flows.c.id == flow_runs.c.flow_id)
    if deployment_id is not None:
        query = query.where(flow_runs.c.deployment_id == deployment_id)
    if flow_name is not None:
        query = query.where(flows.c.name == flow_name)
    query = query.order_by(flow_runs.c.created.desc(), flow_runs.c.id.desc()).limit(limit)
    return [_run_column(row) for row in reversed(conn.execute(query).all())]


def runs_by_id(conn: Connection, ids: Sequence[str]) -> list[RunColumn]:
    """The runs of `ids` that exist, in the order given."""
    found: dict[str, RunColumn] = {}
    for where in bulk.membership(conn, flow_runs.c.id, list(ids)):
        query = select(*_RUN_COLUMNS).join(flows, flows.c.id == flow_runs.c.flow_id).where(where)
        found.update((row.id, _run_column(row)) for row in conn.execute(query))
    return [found[run_id] for run_id in ids if run_id in found]


def _duration(conn: Connection) -> ColumnElement[Any]:
    """Seconds from start_time to end_time, computed by the database (no timestamp parsing
    in Python for tens of thousands of cells)."""
    if conn.dialect.name == "postgresql":
        return func.extract("epoch", task_runs.c.end_time - task_runs.c.start_time)
    # SQLite reads its stored UTC text ("... +00:00") as a date directly.
    return (func.julianday(task_runs.c.end_time) - func.julianday(task_runs.c.start_time)) * 86400


def _task_cells(
    conn: Connection, run_ids: Sequence[str], task_key: str | None = None
) -> tuple[list[str], dict[tuple[str, str], tuple[str, float | None]]]:
    """Task keys in order of first appearance, and (run id, key) -> (state, seconds).

    Ids are time-ordered, so the smallest id of a key is its first appearance."""
    first_seen: dict[str, str] = {}
    cells: dict[tuple[str, str], tuple[str, float | None]] = {}
    seconds = _duration(conn).label("seconds")
    for where in bulk.membership(conn, task_runs.c.flow_run_id, list(run_ids)):
        query = select(
            task_runs.c.flow_run_id, task_runs.c.task_key, task_runs.c.state, task_runs.c.id,
            seconds,
        ).where(where)
        if task_key is not None:
            query = query.where(task_runs.c.task_key == task_key)
        for run_id, key, state, task_id, took in conn.execute(query):
            cells[(run_id, key)] = (state, None if took is None else round(float(took), 3))
            seen = first_seen.get(key)
            if seen is None or task_id < seen:
                first_seen[key] = task_id
    keys = sorted(first_seen, key=first_seen.__getitem__)
    return keys, cells


def grid(conn: Connection, runs: Sequence[RunColumn]) -> dict[str, Any]:
    """Runs by tasks: `cells[i][j]` is [state, seconds] of task j in run i, or null."""
    keys, cells = _task_cells(conn, [run.id for run in runs])
    matrix = [
        [list(cells[(run.id, key)]) if (run.id, key) in cells else None for key in keys]
        for run in runs
    ]
    return {"runs": [run.as_dict() for run in runs], "tasks": keys, "cells": matrix}


def task_durations(
    conn: Connection, runs: Sequence[RunColumn], task_key: str | None
) -> dict[str, Any]:
    """Per task, its duration in each run (null where it did not run or has not ended)."""
    keys, cells = _task_cells(conn, [run.id for run in runs], task_key)
    series = [
        {
            "task_key": key,
            "durations": [cells.get((run.id, key), (None, None))[1] for run in runs],
        }
        for key in keys
    ]
    return {"runs": [run.as_dict() for run in runs], "tasks": series}


def compare(conn: Connection, runs: Sequence[RunColumn]) -> dict[str, Any]:
    """Parameters, states and durations of each task, side by side for the runs given."""
    keys, cells = _task_cells(conn, [run.id for run in runs])
    names = sorted({name for run in runs for name in run.parameters})
    return {
        "runs": [run.as_dict() for run in runs],
        "parameters": [
            {"name": name, "values": [run.parameters.get(name) for run in runs]} for name in names
        ],
        "tasks": [
            {
                "task_key": key,
                "states": [cells.get((run.id, key), (None, None))[0] for run in runs],
                "durations": [cells.get((run.id, key), (None, None))[1] for run in runs],
            }
            for key in keys
        ],
    }
