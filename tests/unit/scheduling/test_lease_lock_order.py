"""A run finishing and the monitor expiring the same run's lease lock the flow_runs row
before the lease row on both paths, so racing them on PostgreSQL never deadlocks."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from legato._clock import FakeClock
from legato.core.ids import new_id
from legato.core.records import NewFlowRun
from legato.core.states import StateType as S
from legato.errors import StaleEpoch
from legato.orchestration.local import LocalBackend
from legato.scheduling.monitor import Monitor
from legato.store.database import Database

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LEASE = 10.0
ROUNDS = 40

pytestmark = pytest.mark.postgres


def race(backend: LocalBackend, monitor: Monitor, now: datetime, run_id: str,
         epoch: int) -> list[BaseException]:
    """Complete the run and sweep its expired lease at once; the errors either raised."""
    start = threading.Barrier(2, timeout=10)
    errors: list[BaseException] = []

    def finish() -> None:
        start.wait()
        try:
            backend.set_flow_run_state(run_id, S.COMPLETED, epoch=epoch)
        except StaleEpoch:
            pass  # the monitor won the race and fenced this holder off
        except BaseException as error:
            errors.append(error)

    def expire() -> None:
        start.wait()
        try:
            monitor.tick(now)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=finish), threading.Thread(target=expire)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not any(thread.is_alive() for thread in threads), "the two paths hung"
    return errors


def test_finishing_and_expiring_the_same_run_concurrently_never_deadlock(
    postgres_url: str,
) -> None:
    clock = FakeClock(T0)
    db = Database(postgres_url)
    backend = LocalBackend(db, clock=clock)
    monitor = Monitor(backend.service)
    worker_id = backend.register_worker("w1", ["default"]).id
    try:
        for _ in range(ROUNDS):
            backend.create_flow_run(NewFlowRun(new_id(), "etl", "calm-heron", {}, S.SCHEDULED,
                                               clock.now(), entrypoint="f.py:etl"))
            (claim,) = backend.claim_flow_runs(worker_id, ["default"], 1, lease_seconds=LEASE)
            run_id = claim.flow_run.id
            backend.set_flow_run_state(run_id, S.RUNNING, epoch=claim.epoch)
            clock.advance(LEASE + 1)
            assert race(backend, monitor, clock.now(), run_id, claim.epoch) == []
            assert backend.read_flow_run(run_id).state in (S.COMPLETED, S.CRASHED)
            assert monitor.tick(clock.now()) == []
    finally:
        backend.close()
