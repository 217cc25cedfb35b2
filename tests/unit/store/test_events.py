"""Tests for legato.store.events: a task run's creation and start fold into the row of its
next transition, and read back as the separate events they were."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from legato.core.ids import new_id
from legato.core.records import StateEvent
from legato.core.states import StateType
from legato.store import events
from legato.store.bulk import TimestampMemo
from legato.store.database import Database
from legato.store.tables import state_events

S = StateType
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _at(ms: int) -> datetime:
    return T0 + timedelta(milliseconds=ms)


def _straight_through(run_id: str, end: S = S.COMPLETED, message: str | None = None
                      ) -> list[StateEvent]:
    return [
        StateEvent(run_id, "task", None, S.PENDING, _at(0)),
        StateEvent(run_id, "task", S.PENDING, S.RUNNING, _at(1)),
        StateEvent(run_id, "task", S.RUNNING, end, _at(2), message),
    ]


def _write(db: Database, batch: list[StateEvent]) -> None:
    with db.writing() as conn:
        events.insert_events(conn, batch, TimestampMemo())


def _stored_rows(db: Database) -> int:
    with db.reading() as conn:
        return int(conn.execute(select(func.count()).select_from(state_events)).scalar_one())


def _read(db: Database, run_id: str) -> list[tuple[object, ...]]:
    with db.reading() as conn:
        return [(e.from_state, e.to_state, e.timestamp, e.message, e.forced)
                for e in events.read_state_events(conn, run_id)]


def test_a_task_that_runs_straight_through_is_one_row_read_as_three_events(
    any_db: Database,
) -> None:
    run_id = new_id()
    _write(any_db, _straight_through(run_id, S.FAILED, "boom"))
    assert _stored_rows(any_db) == 1
    assert _read(any_db, run_id) == [
        (None, S.PENDING, _at(0), None, False),
        (S.PENDING, S.RUNNING, _at(1), None, False),
        (S.RUNNING, S.FAILED, _at(2), "boom", False),
    ]


def test_start_events_with_a_message_or_forced_keep_their_own_rows(any_db: Database) -> None:
    with_message, forced = new_id(), new_id()
    batch = [
        StateEvent(with_message, "task", None, S.PENDING, _at(0), "queued"),
        StateEvent(with_message, "task", S.PENDING, S.RUNNING, _at(1)),
        StateEvent(with_message, "task", S.RUNNING, S.COMPLETED, _at(2)),
        StateEvent(forced, "task", None, S.PENDING, _at(0)),
        StateEvent(forced, "task", S.PENDING, S.RUNNING, _at(1), forced=True),
        StateEvent(forced, "task", S.RUNNING, S.COMPLETED, _at(2)),
    ]
    _write(any_db, batch)
    assert _stored_rows(any_db) == 6
    assert _read(any_db, with_message)[0] == (None, S.PENDING, _at(0), "queued", False)
    assert _read(any_db, forced)[1] == (S.PENDING, S.RUNNING, _at(1), None, True)


def test_a_start_whose_next_event_comes_in_a_later_batch_reads_in_order(
    any_db: Database,
) -> None:
    run_id = new_id()
    first, second, third = _straight_through(run_id)
    _write(any_db, [first, second])
    _write(any_db, [third])
    assert _stored_rows(any_db) == 3
    assert [(e[0], e[1]) for e in _read(any_db, run_id)] == [
        (None, S.PENDING), (S.PENDING, S.RUNNING), (S.RUNNING, S.COMPLETED)]


def test_interleaved_runs_each_keep_their_order(any_db: Database) -> None:
    a, b = new_id(), new_id()
    ea, eb = _straight_through(a, S.FAILED), _straight_through(b)
    # b is created and started between a's events; a's retry follows its failure.
    retry = StateEvent(a, "task", S.FAILED, S.PENDING, _at(3), "retry", forced=True)
    _write(any_db, [ea[0], eb[0], ea[1], eb[1], eb[2], ea[2], retry])
    assert _stored_rows(any_db) == 3
    assert [e[1] for e in _read(any_db, a)] == [S.PENDING, S.RUNNING, S.FAILED, S.PENDING]
    assert [e[1] for e in _read(any_db, b)] == [S.PENDING, S.RUNNING, S.COMPLETED]


def test_flow_run_events_are_never_folded(any_db: Database) -> None:
    run_id = new_id()
    _write(any_db, [StateEvent(run_id, "flow", e.from_state, e.to_state, e.timestamp)
                    for e in _straight_through(run_id)])
    assert _stored_rows(any_db) == 3
    assert len(_read(any_db, run_id)) == 3
