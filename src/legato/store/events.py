"""Queries for state events, the append-only audit trail of every flow-run and task-run
transition."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, select

from legato.core.records import StateEvent, StateEventRecord
from legato.core.states import StateType
from legato.store import bulk
from legato.store.bulk import TimestampMemo, timestamp_writer
from legato.store.tables import state_events

_COLUMNS = ("run_id", "run_kind", "from_state", "to_state", "timestamp", "message", "forced",
            "pending_at", "running_at")
_PENDING, _RUNNING = StateType.PENDING, StateType.RUNNING


def insert_events(
    conn: Connection, events: Sequence[StateEvent], memo: TimestampMemo | None = None
) -> None:
    """Append state events in one bulk statement, keeping each run's order in the id
    sequence.

    A task run's None -> PENDING and PENDING -> RUNNING events (no message, not forced)
    that are followed in `events` by its next transition are stored in that transition's
    row (pending_at, running_at): a quick task costs one row and one index entry instead
    of three. `read_state_events` returns them as separate events again. State members are
    passed as they are: StateType is a str enum, bound as its text."""
    ts = timestamp_writer(conn, memo)
    text = bulk.as_text
    # SQLite stores a Boolean as 0/1: an int binds faster than a bool; PostgreSQL's COPY
    # needs the bool.
    flag: Any = int if conn.dialect.name == "sqlite" else bool

    def plain(e: StateEvent) -> tuple[Any, ...]:
        return (e.run_id, e.run_kind, None if e.from_state is None else text(e.from_state),
                text(e.to_state), ts(e.timestamp), e.message, flag(e.forced), None, None)

    rows: list[tuple[Any, ...]] = []
    # Task runs whose creation (and start) wait for their next event: run id -> events.
    started: dict[str, list[StateEvent]] = {}
    for e in events:
        run_id = e.run_id
        if e.message is None and not e.forced and e.run_kind == "task":
            if e.from_state is None and e.to_state is _PENDING:
                if run_id not in started:
                    started[run_id] = [e]
                    continue
            elif e.from_state is _PENDING and e.to_state is _RUNNING:
                chain = started.get(run_id)
                if chain is not None and len(chain) == 1:
                    chain.append(e)
                    continue
        chain = started.pop(run_id, None) if started else None
        if chain is not None:
            if len(chain) == 2 and e.from_state is _RUNNING:
                rows.append((run_id, e.run_kind, text(_RUNNING), text(e.to_state),
                             ts(e.timestamp), e.message, flag(e.forced),
                             ts(chain[0].timestamp), ts(chain[1].timestamp)))
                continue
            rows.extend(plain(c) for c in chain)
        rows.append(plain(e))
    for chain in started.values():
        rows.extend(plain(c) for c in chain)
    bulk.insert_rows(conn, state_events, _COLUMNS, rows)


def read_state_events(conn: Connection, run_id: str) -> list[StateEventRecord]:
    """The events of one run, oldest first. Events folded into one row (see
    `insert_events`) come back separately and share that row's id."""
    query = select(state_events).where(state_events.c.run_id == run_id).order_by(state_events.c.id)
    records: list[StateEventRecord] = []
    for row in conn.execute(query):
        if row.running_at is not None:
            records.append(StateEventRecord(row.id, row.run_id, row.run_kind, None, _PENDING,
                                            row.pending_at, None, False))
            records.append(StateEventRecord(row.id, row.run_id, row.run_kind, _PENDING,
                                            _RUNNING, row.running_at, None, False))
        records.append(StateEventRecord(
            id=row.id,
            run_id=row.run_id,
            run_kind=row.run_kind,
            from_state=StateType(row.from_state) if row.from_state is not None else None,
            to_state=StateType(row.to_state),
            timestamp=row.timestamp,
            message=row.message,
            forced=bool(row.forced),
        ))
    return records
