"""Queries for state events, the append-only audit trail of every flow-run and task-run
transition."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, select

from legato.core.records import StateEvent, StateEventRecord
from legato.core.states import StateType
from legato.store import bulk
from legato.store.bulk import timestamp_writer
from legato.store.tables import state_events

_COLUMNS = ("run_id", "run_kind", "from_state", "to_state", "timestamp", "message", "forced")


def insert_events(
    conn: Connection, events: Sequence[StateEvent], memo: dict[int, Any] | None = None
) -> None:
    """Append state events in one bulk statement, keeping their order in the id sequence.

    State members are passed as they are: StateType is a str enum, bound as its text."""
    ts = timestamp_writer(conn, memo)
    text = bulk.as_text
    # SQLite stores a Boolean as 0/1: an int binds faster than a bool; PostgreSQL's COPY
    # needs the bool.
    flag: Any = int if conn.dialect.name == "sqlite" else bool
    bulk.insert_rows(
        conn,
        state_events,
        _COLUMNS,
        [
            (
                e.run_id,
                e.run_kind,
                None if e.from_state is None else text(e.from_state),
                text(e.to_state),
                ts(e.timestamp),
                e.message,
                flag(e.forced),
            )
            for e in events
        ],
    )


def read_state_events(conn: Connection, run_id: str) -> list[StateEventRecord]:
    """The events of one run, oldest first."""
    query = select(state_events).where(state_events.c.run_id == run_id).order_by(state_events.c.id)
    return [
        StateEventRecord(
            id=row.id,
            run_id=row.run_id,
            run_kind=row.run_kind,
            from_state=StateType(row.from_state) if row.from_state is not None else None,
            to_state=StateType(row.to_state),
            timestamp=row.timestamp,
            message=row.message,
            forced=bool(row.forced),
        )
        for row in conn.execute(query)
    ]
