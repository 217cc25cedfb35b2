"""Tests for legato.store.claims: the claim's first statement (its outlook) and the
candidates it reads, on both dialects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from legato.core.limits import WorkQueueRecord
from legato.core.workers import WorkerRecord
from legato.store import claims, flows, limits, slots
from legato.store import workers as worker_rows
from legato.store.database import Database
from legato.store.tables import flow_runs

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _worker(db: Database) -> str:
    with db.writing() as conn:
        worker_rows.insert_worker(conn, WorkerRecord("w-1", "worker-one", ("default",), T0,
                                                     "online"))
    return "w-1"


def _outlook(db: Database, queues: tuple[str, ...] = ("default",),
             now: datetime = T0) -> claims.ClaimOutlook:
    with db.writing() as conn:
        return claims.claim_outlook(conn, "w-1", queues, now)


def test_outlook_of_an_unknown_worker_has_no_name(any_db: Database) -> None:
    assert _outlook(any_db).worker_name is None


def test_outlook_of_an_empty_store_sees_nothing_to_do(any_db: Database) -> None:
    _worker(any_db)
    assert _outlook(any_db) == claims.ClaimOutlook("worker-one", False, False, False, False)


def test_outlook_sees_queues_limits_and_slots_held_now(any_db: Database) -> None:
    _worker(any_db)
    with any_db.writing() as conn:
        limits.insert_queue(conn, WorkQueueRecord("etl", 5, None, False, None, T0, T0))
        limits.put_limit(conn, "db", 2, T0)
        slots.acquire(conn, ["tag:db"], "run-1", T0, T0 + timedelta(minutes=1))
    seen = _outlook(any_db, ("default", "etl"))
    assert (seen.queues_stored, seen.limits_defined, seen.slots_held) == (True, True, True)
    assert not _outlook(any_db, ("default",)).queues_stored
    # A slot whose lease expired is not held.
    assert not _outlook(any_db, now=T0 + timedelta(minutes=2)).slots_held


def test_outlook_sees_a_run_due_only_once_its_time_came(any_db: Database) -> None:
    _worker(any_db)
    later = T0 + timedelta(hours=1)
    with any_db.writing() as conn:
        flow_id = flows.ensure_flow(conn, "etl", T0)
        conn.execute(flow_runs.insert(), {
            "id": "run-1", "flow_id": flow_id, "name": "r", "parameters": {},
            "state": "SCHEDULED", "created": T0, "updated": T0, "tags": [],
            "scheduled_time": later})
    assert not _outlook(any_db).due
    assert _outlook(any_db, now=later).due
    with any_db.writing() as conn:
        [found] = claims.candidates(conn, ["default"], 5, later)
    assert (found.id, found.queue, found.run.record.flow_name, found.run.epoch) == (
        "run-1", "default", "etl", 0)
