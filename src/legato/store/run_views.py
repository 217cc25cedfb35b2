"""Read models of the web UI over task runs: the graph of one run, the grid of a deployment's
recent runs x their tasks, task durations across runs and a side-by-side comparison. Each is
a few set-based queries on indexed columns, shaped as plain dicts and lists ready for JSON."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Float, Numeric, cast, func, select

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


def flow_exists(conn: Connection, flow_name: str) -> bool:
    """Whether a flow of that name was ever registered."""
    return conn.execute(select(flows.c.id).where(flows.c.name == flow_name)).first() is not None


def runs_by_id(conn: Connection, ids: Sequence[str]) -> list[RunColumn]:
    """The runs of `ids` that exist, in the order given."""
    found: dict[str, RunColumn] = {}
    for where in bulk.membership(conn, flow_runs.c.id, list(ids)):
        query = select(*_RUN_COLUMNS).join(flows, flows.c.id == flow_runs.c.flow_id).where(where)
        found.update((row.id, _run_column(row)) for row in conn.execute(query))
    return [found[run_id] for run_id in ids if run_id in found]


def _duration(conn: Connection) -> ColumnElement[Any]:
    """Seconds from start_time to end_time rounded to milliseconds, computed by the database
    as a float (no timestamp parsing or Decimal conversion in Python for 50,000 cells)."""
    if conn.dialect.name == "postgresql":
        seconds = func.extract("epoch", task_runs.c.end_time - task_runs.c.start_time)
        return cast(func.round(cast(seconds, Numeric), 3), Float)
    # SQLite reads its stored UTC text ("... +00:00") as a date directly.
    return func.round(
        (func.julianday(task_runs.c.end_time) - func.julianday(task_runs.c.start_time)) * 86400, 3
    )


@dataclass(frozen=True, slots=True)
class TaskCells:
    """Task keys in order of first appearance and, per run, key -> (state, seconds)."""

    keys: list[str]
    by_run: dict[str, dict[str, tuple[str, float | None]]]

    def matrix(self, run_ids: Sequence[str]) -> list[list[tuple[str, float | None] | None]]:
        """`[i][j]`: (state, seconds) of task key j in run i, or None."""
        position = {key: index for index, key in enumerate(self.keys)}
        width = len(self.keys)
        rows = []
        for run_id in run_ids:
            row: list[tuple[str, float | None] | None] = [None] * width
            for key, cell in self.by_run.get(run_id, {}).items():
                row[position[key]] = cell
            rows.append(row)
        return rows

    def column(self, run_ids: Sequence[str], key: str, part: int) -> list[Any]:
        """Part 0 (state) or 1 (seconds) of `key` in each run, None where it did not run."""
        found = [self.by_run.get(run_id, {}).get(key) for run_id in run_ids]
        return [None if cell is None else cell[part] for cell in found]


def _task_cells(
    conn: Connection, run_ids: Sequence[str], task_key: str | None = None
) -> TaskCells:
    """The task runs of `run_ids` in one indexed read per chunk of ids.

    Ids are time-ordered, so the smallest id of a key is its first appearance. Rows are
    fetched in bulk and handled as plain tuples: per-row work is what a 100 x 500 grid pays
    50,000 times."""
    first_seen: dict[str, str] = {}
    by_run: dict[str, dict[str, tuple[str, float | None]]] = {run_id: {} for run_id in run_ids}
    seconds = _duration(conn).label("seconds")
    for where in bulk.membership(conn, task_runs.c.flow_run_id, list(run_ids)):
        query = select(
            task_runs.c.flow_run_id, task_runs.c.task_key, task_runs.c.state, task_runs.c.id,
            seconds,
        ).where(where)
        if task_key is not None:
            query = query.where(task_runs.c.task_key == task_key)
        get = first_seen.get
        for run_id, key, state, task_id, took in bulk.fetch_tuples(conn, query):
            by_run[run_id][key] = (state, took)
            seen = get(key)
            if seen is None or task_id < seen:
                first_seen[key] = task_id
    return TaskCells(sorted(first_seen, key=first_seen.__getitem__), by_run)


def grid(conn: Connection, runs: Sequence[RunColumn]) -> dict[str, Any]:
    """Runs by tasks: `cells[i][j]` is [state, seconds] of task j in run i, or null."""
    run_ids = [run.id for run in runs]
    cells = _task_cells(conn, run_ids)
    return {
        "runs": [run.as_dict() for run in runs],
        "tasks": cells.keys,
        "cells": cells.matrix(run_ids),
    }


def task_durations(
    conn: Connection, runs: Sequence[RunColumn], task_key: str | None
) -> dict[str, Any]:
    """Per task, its duration in each run (null where it did not run or has not ended)."""
    run_ids = [run.id for run in runs]
    cells = _task_cells(conn, run_ids, task_key)
    series = [
        {"task_key": key, "durations": cells.column(run_ids, key, 1)} for key in cells.keys
    ]
    return {"runs": [run.as_dict() for run in runs], "tasks": series}


def compare(conn: Connection, runs: Sequence[RunColumn]) -> dict[str, Any]:
    """Parameters, states and durations of each task, side by side for the runs given."""
    run_ids = [run.id for run in runs]
    cells = _task_cells(conn, run_ids)
    names = sorted({name for run in runs for name in run.parameters})
    return {
        "runs": [run.as_dict() for run in runs],
        "parameters": [
            {"name": name, "values": [run.parameters.get(name) for run in runs]} for name in names
        ],
        "tasks": [
            {
                "task_key": key,
                "states": cells.column(run_ids, key, 0),
                "durations": cells.column(run_ids, key, 1),
            }
            for key in cells.keys
        ],
    }
