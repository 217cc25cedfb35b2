"""Queries for task runs and their dependency edges. The write functions are the engine's hot
path: set-based (executemany, chunked IN lists), never one SELECT per row."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import Connection, Row, func, select, tuple_

from legato.core.records import Edge, TaskRunRecord, TaskRunRow
from legato.core.states import StateType
from legato.store import bulk
from legato.store.bulk import TimestampMemo, TimestampWriter, as_text, timestamp_writer
from legato.store.runs import result_ref
from legato.store.tables import flow_runs, task_edges, task_runs

T = TypeVar("T")

_MUTABLE = (
    "state",
    "state_message",
    "attempts",
    "updated",
    "start_time",
    "end_time",
    "result_serializer",
    "result_storage",
    "result_data",
    "result_path",
    "cache_key",
    "child_flow_run_id",
)
_INSERTED = (*_MUTABLE, "id", "flow_run_id", "task_key", "task_name", "map_index", "created")


def chunks(items: Sequence[T], size: int = bulk.IN_CHUNK) -> Iterator[Sequence[T]]:
    """Consecutive slices of at most `size` items."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _mutable_values(row: TaskRunRow, ts: TimestampWriter) -> tuple[Any, ...]:
    result = row.result
    if result is None:
        return (
            as_text(row.state),
            row.state_message,
            row.attempts,
            ts(row.updated),
            ts(row.start_time),
            ts(row.end_time),
            None,
            None,
            None,
            None,
            row.cache_key,
            row.child_flow_run_id,
        )
    return (
        as_text(row.state),
        row.state_message,
        row.attempts,
        ts(row.updated),
        ts(row.start_time),
        ts(row.end_time),
        result.serializer,
        result.storage,
        result.data,
        result.path,
        row.cache_key,
        row.child_flow_run_id,
    )


def read_task_states(
    conn: Connection, ids: Sequence[str], *, for_update: bool = False
) -> dict[str, StateType]:
    """The stored state of each of `ids` that exists (missing ids are left out).

    `for_update` locks the rows until the transaction ends (PostgreSQL; SQLite writers are
    already serialized), so nobody changes them between this check and the update."""
    states: dict[str, StateType] = {}
    lock = for_update and conn.dialect.name == "postgresql"
    for where in bulk.membership(conn, task_runs.c.id, ids):
        query = select(task_runs.c.id, task_runs.c.state).where(where)
        if lock:
            query = query.with_for_update()
        for run_id, state in conn.execute(query):
            states[run_id] = StateType(state)
    return states


def insert_task_runs(
    conn: Connection, rows: Sequence[TaskRunRow], memo: TimestampMemo | None = None
) -> None:
    """Insert new task runs in one bulk statement."""
    ts = timestamp_writer(conn, memo)
    # sqlite3 (3.11) adapts every bytes parameter through a failing attribute lookup, but
    # binds a bytearray as the same BLOB directly; COPY on PostgreSQL takes bytes.
    blob: Any = bytearray if conn.dialect.name == "sqlite" else bytes
    # One tuple expression per row, no helper call: this runs once per task run.
    bulk.insert_rows(
        conn,
        task_runs,
        _INSERTED,
        [
            (
                as_text(row.state),
                row.state_message,
                row.attempts,
                ts(row.updated),
                ts(row.start_time),
                ts(row.end_time),
                None, None, None, None,
                row.cache_key,
                row.child_flow_run_id,
                row.id,
                row.flow_run_id,
                row.task_key,
                row.task_name,
                row.map_index,
                ts(row.created),
            )
            if (result := row.result) is None else
            (
                as_text(row.state),
                row.state_message,
                row.attempts,
                ts(row.updated),
                ts(row.start_time),
                ts(row.end_time),
                result.serializer,
                result.storage,
                None if (data := result.data) is None else blob(data),
                result.path,
                row.cache_key,
                row.child_flow_run_id,
                row.id,
                row.flow_run_id,
                row.task_key,
                row.task_name,
                row.map_index,
                ts(row.created),
            )
            for row in rows
        ],
    )


def update_task_runs(
    conn: Connection, rows: Sequence[TaskRunRow], memo: TimestampMemo | None = None
) -> None:
    """Overwrite the mutable columns of stored task runs, by id, in one bulk statement."""
    ts = timestamp_writer(conn, memo)
    bulk.update_rows(
        conn, task_runs, "id", _MUTABLE, [(*_mutable_values(row, ts), row.id) for row in rows]
    )


def existing_flow_runs(conn: Connection, ids: Iterable[str]) -> set[str]:
    """Which of `ids` are stored flow runs."""
    found: set[str] = set()
    for where in bulk.membership(conn, flow_runs.c.id, sorted(set(ids))):
        query = select(flow_runs.c.id).where(where)
        found.update(conn.execute(query).scalars())
    return found


def task_key_owners(
    conn: Connection, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], str]:
    """For (flow_run_id, task_key) pairs, the id of the stored task run holding each key."""
    owners: dict[tuple[str, str], str] = {}
    for part in chunks(keys, bulk.IN_CHUNK // 2):
        query = select(task_runs.c.flow_run_id, task_runs.c.task_key, task_runs.c.id).where(
            tuple_(task_runs.c.flow_run_id, task_runs.c.task_key).in_(part)
        )
        for flow_run_id, task_key, run_id in conn.execute(query):
            owners[(flow_run_id, task_key)] = run_id
    return owners


def read_task_runs(conn: Connection, flow_run_id: str) -> list[TaskRunRecord]:
    """All task runs of a flow run in creation order (ties broken by the time-ordered id)."""
    query = (
        select(task_runs)
        .where(task_runs.c.flow_run_id == flow_run_id)
        .order_by(task_runs.c.created, task_runs.c.id)
    )
    return [
        task_run_record(row) for row in conn.execute(query)
    ]


def count_task_runs(conn: Connection, flow_run_id: str) -> dict[StateType, int]:
    """Task runs of a flow run per state; states with no runs are left out."""
    query = (
        select(task_runs.c.state, func.count())
        .where(task_runs.c.flow_run_id == flow_run_id)
        .group_by(task_runs.c.state)
    )
    return {StateType(state): count for state, count in conn.execute(query)}


def insert_edges(conn: Connection, edges: Sequence[Edge]) -> None:
    """Insert dependency edges, skipping ones already stored."""
    unique = {(e.flow_run_id, e.upstream_id, e.downstream_id) for e in edges}
    bulk.insert_rows_ignoring_duplicates(
        conn, task_edges, ("flow_run_id", "upstream_id", "downstream_id"), sorted(unique)
    )


def read_edges(conn: Connection, flow_run_id: str) -> list[tuple[str, str]]:
    """(upstream, downstream) task run id pairs of a flow run, in a stable order."""
    query = (
        select(task_edges.c.upstream_id, task_edges.c.downstream_id)
        .where(task_edges.c.flow_run_id == flow_run_id)
        .order_by(task_edges.c.upstream_id, task_edges.c.downstream_id)
    )
    return [(up, down) for up, down in conn.execute(query)]


def task_run_record(row: Row[Any]) -> TaskRunRecord:
    """A task_runs row as the record the Backend returns."""
    return TaskRunRecord(
        id=row.id,
        flow_run_id=row.flow_run_id,
        task_key=row.task_key,
        task_name=row.task_name,
        map_index=row.map_index,
        state=StateType(row.state),
        state_message=row.state_message,
        attempts=row.attempts,
        created=row.created,
        updated=row.updated,
        start_time=row.start_time,
        end_time=row.end_time,
        result=result_ref(
            row.result_serializer, row.result_storage, row.result_data, row.result_path
        ),
        cache_key=row.cache_key,
        child_flow_run_id=row.child_flow_run_id,
    )
