"""Wake-ups for waiting claims: a committed write that makes a run claimable rings the
Database's doorbell (and, on PostgreSQL, other processes' through NOTIFY); other writes,
rolled-back writes and runs in other states do not."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from legato.core.ids import new_id
from legato.core.records import NewFlowRun
from legato.core.states import StateType as S
from legato.orchestration.service import OrchestrationService, Timing
from legato.store.database import Database
from legato.store.wakeups import Doorbell

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


def new_run(state: S) -> NewFlowRun:
    return NewFlowRun(new_id(), "etl", "calm-heron", {}, state, T0, entrypoint="f.py:etl")


def test_doorbell_wait_returns_true_once_rung_after_the_generation_seen() -> None:
    bell = Doorbell()
    seen = bell.generation
    ringer = threading.Timer(0.05, bell.ring)
    ringer.start()
    assert bell.wait(seen, 30) is True
    ringer.join()
    assert bell.generation == seen + 1
    assert bell.wait(seen, 0) is True  # already moved: no waiting at all


def test_doorbell_wait_times_out_without_a_ring() -> None:
    bell = Doorbell()
    assert bell.wait(bell.generation, 0.01) is False


def test_committing_a_scheduled_run_rings_the_doorbell(any_db: Database) -> None:
    service = OrchestrationService(any_db)
    seen = any_db.doorbell.generation
    service.create_flow_run(new_run(S.PENDING))
    assert any_db.doorbell.generation == seen
    service.create_flow_run(new_run(S.SCHEDULED))
    assert any_db.doorbell.generation == seen + 1


def test_a_rolled_back_write_does_not_ring(any_db: Database) -> None:
    service = OrchestrationService(any_db)
    seen = any_db.doorbell.generation
    with pytest.raises(RuntimeError), any_db.writing() as conn:
        service._insert_flow_run(conn, new_run(S.SCHEDULED), Timing(None, None, 0))
        raise RuntimeError("abort")
    assert any_db.doorbell.generation == seen
    with any_db.writing():
        pass  # the aborted transaction's mark must not leak into the next one
    assert any_db.doorbell.generation == seen


@pytest.mark.postgres
def test_postgres_wakes_a_waiter_in_another_database_object(postgres_url: str) -> None:
    writer, waiter = Database(postgres_url), Database(postgres_url)
    try:
        seen = waiter.doorbell.generation
        # The listener's own first ring (after LISTEN) is consumed before the write.
        waiter.wait_claimable(seen, 30)
        seen = waiter.doorbell.generation
        later = threading.Timer(
            0.1, OrchestrationService(writer).create_flow_run, args=(new_run(S.SCHEDULED),)
        )
        later.start()
        assert waiter.wait_claimable(seen, 30) is True
        later.join()
    finally:
        writer.dispose()
        waiter.dispose()
