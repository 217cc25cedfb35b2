"""Queries behind the UI's run actions: read one task run, the task runs downstream of some
(by edges), force task-run states, and delete a finished flow run with everything it
recorded. The orchestration layer decides when each is allowed."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection, delete, select, update

from legato.core.records import TaskRunRecord
from legato.core.states import StateType
from legato.store import bulk
from legato.store.tables import (
    artifacts,
    flow_runs,
    leases,
    logs,
    run_inputs,
    state_events,
    task_edges,
    task_runs,
)
from legato.store.taskruns import task_run_record


def read_task_run(
    conn: Connection, task_run_id: str, *, for_update: bool = False
) -> TaskRunRecord | None:
    """One task run, or None; `for_update` locks its row on PostgreSQL."""
    query = select(task_runs).where(task_runs.c.id == task_run_id)
    if for_update and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).one_or_none()
    if row is None:
        return None
    return task_run_record(row)


def find_task_run(conn: Connection, flow_run_id: str, task_key: str) -> str | None:
    """The id of the flow run's task run with this key, or None."""
    query = select(task_runs.c.id).where(
        task_runs.c.flow_run_id == flow_run_id, task_runs.c.task_key == task_key
    )
    found: str | None = conn.execute(query).scalar_one_or_none()
    return found


def downstream_of(conn: Connection, flow_run_id: str, start: Iterable[str]) -> set[str]:
    """`start` and every task run reachable from it along the flow run's edges."""
    children: dict[str, list[str]] = {}
    query = select(task_edges.c.upstream_id, task_edges.c.downstream_id).where(
        task_edges.c.flow_run_id == flow_run_id
    )
    for up, down in conn.execute(query):
        children.setdefault(up, []).append(down)
    reached = set(start)
    frontier = list(reached)
    while frontier:
        for child in children.get(frontier.pop(), ()):
            if child not in reached:
                reached.add(child)
                frontier.append(child)
    return reached


def force_task_states(
    conn: Connection,
    ids: Iterable[str],
    state: StateType,
    message: str | None,
    now: datetime,
    *,
    end_time: datetime | None,
) -> None:
    """Set state, message and end time of task runs (the caller records the events)."""
    for where in bulk.membership(conn, task_runs.c.id, sorted(set(ids))):
        conn.execute(
            update(task_runs)
            .where(where)
            .values(state=state.value, state_message=message, updated=now, end_time=end_time)
        )


def delete_flow_run(conn: Connection, flow_run_id: str) -> None:
    """Delete a flow run, its task runs and everything either recorded."""
    task_ids = list(
        conn.execute(select(task_runs.c.id).where(task_runs.c.flow_run_id == flow_run_id))
        .scalars()
    )
    for where in bulk.membership(conn, state_events.c.run_id, task_ids):
        conn.execute(delete(state_events).where(where))
    conn.execute(delete(state_events).where(state_events.c.run_id == flow_run_id))
    for table in (logs, task_edges, artifacts, run_inputs, leases, task_runs):
        conn.execute(delete(table).where(table.c.flow_run_id == flow_run_id))
    conn.execute(delete(flow_runs).where(flow_runs.c.id == flow_run_id))
