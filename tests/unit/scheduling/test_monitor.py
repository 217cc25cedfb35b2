"""The monitor with a fake clock on SQLite and PostgreSQL: expired leases crash their runs
with a reason, fence off the old holder, and reschedule per the crash-retry policy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from legato._clock import FakeClock
from legato.core.deployments import DeploymentSpec
from legato.core.ids import new_id
from legato.core.records import NewFlowRun
from legato.core.states import StateType as S
from legato.errors import StaleEpoch
from legato.orchestration.deployments import create_deployment
from legato.orchestration.local import LocalBackend
from legato.scheduling.monitor import Monitor
from legato.store import leases
from legato.store.database import Database
from legato.store.tables import flow_runs

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LEASE = 10.0


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def backend(any_db: Database, clock: FakeClock) -> LocalBackend:
    return LocalBackend(any_db, clock=clock)


def schedule(backend: LocalBackend) -> str:
    run_id = new_id()
    backend.create_flow_run(
        NewFlowRun(run_id, "etl", "quiet-lynx", {}, S.SCHEDULED, T0, entrypoint="f.py:etl"))
    return run_id


def claim_one(backend: LocalBackend, worker: str = "w1") -> tuple[str, str, int]:
    worker_id = backend.register_worker(worker, ["default"]).id
    (claim,) = backend.claim_flow_runs(worker_id, ["default"], 1, lease_seconds=LEASE)
    return claim.flow_run.id, worker_id, claim.epoch


def test_a_run_whose_lease_expired_is_crashed_with_the_reason(
    backend: LocalBackend, clock: FakeClock
) -> None:
    schedule(backend)
    run_id, _, epoch = claim_one(backend)
    backend.set_flow_run_state(run_id, S.RUNNING, epoch=epoch)
    clock.advance(LEASE + 1)
    (expired,) = Monitor(backend.service).tick(clock.now())
    assert (expired.flow_run_id, expired.crashed, expired.rescheduled) == (run_id, True, False)
    run = backend.read_flow_run(run_id)
    assert run.state is S.CRASHED
    assert run.state_message == (
        f"lease expired: worker w1 stopped heartbeating at {T0.isoformat()}")
    assert Monitor(backend.service).tick(clock.now()) == []


def test_the_old_holder_is_fenced_off_once_its_lease_expired(
    backend: LocalBackend, clock: FakeClock
) -> None:
    schedule(backend)
    run_id, worker_id, epoch = claim_one(backend)
    clock.advance(LEASE + 1)
    Monitor(backend.service, default_retries=1).tick(clock.now())
    with pytest.raises(StaleEpoch):
        backend.set_flow_run_state(run_id, S.RUNNING, epoch=epoch)
    with pytest.raises(StaleEpoch):
        backend.heartbeat_lease(run_id, worker_id, epoch, lease_seconds=LEASE)


def test_a_heartbeating_holder_is_never_crashed(backend: LocalBackend, clock: FakeClock) -> None:
    schedule(backend)
    run_id, worker_id, epoch = claim_one(backend)
    monitor = Monitor(backend.service)
    for _ in range(10):
        clock.advance(LEASE / 2)
        backend.heartbeat_lease(run_id, worker_id, epoch, lease_seconds=LEASE)
        assert monitor.tick(clock.now()) == []
    assert backend.read_flow_run(run_id).state is S.PENDING


def test_default_retries_reschedule_a_crashed_run_until_they_run_out(
    backend: LocalBackend, clock: FakeClock
) -> None:
    schedule(backend)
    monitor = Monitor(backend.service, default_retries=1)
    run_id, _, first_epoch = claim_one(backend)
    clock.advance(LEASE + 1)
    (first,) = monitor.tick(clock.now())
    assert first.rescheduled
    run = backend.read_flow_run(run_id)
    assert run.state is S.SCHEDULED
    assert run.state_message == "rescheduled after its worker died (crash retry 1 of 1)"
    states = [e.to_state for e in backend.read_state_events(run_id)]
    assert states == [S.SCHEDULED, S.PENDING, S.CRASHED, S.SCHEDULED]
    again, _, second_epoch = claim_one(backend, "w2")
    assert again == run_id and second_epoch > first_epoch + 1
    clock.advance(LEASE + 1)
    (second,) = monitor.tick(clock.now())
    assert second.crashed and not second.rescheduled
    assert backend.read_flow_run(run_id).state is S.CRASHED


def test_a_deployments_crash_retries_win_over_the_default(
    backend: LocalBackend, any_db: Database, clock: FakeClock
) -> None:
    deployment = create_deployment(any_db, DeploymentSpec("nightly", "etl", "f.py:etl"), now=T0)
    with any_db.writing() as conn:
        assert leases.set_crash_retries(conn, deployment.id, 2)
    run_id = schedule(backend)
    with any_db.writing() as conn:
        conn.execute(update(flow_runs).where(flow_runs.c.id == run_id)
                     .values(deployment_id=deployment.id))
    claim_one(backend)
    clock.advance(LEASE + 1)
    (expired,) = Monitor(backend.service, default_retries=0).tick(clock.now())
    assert expired.rescheduled
    assert "1 of 2" in (backend.read_flow_run(run_id).state_message or "")


def test_a_finished_run_with_a_leftover_lease_only_loses_the_lease(
    backend: LocalBackend, any_db: Database, clock: FakeClock
) -> None:
    schedule(backend)
    run_id, worker_id, epoch = claim_one(backend)
    backend.set_flow_run_state(run_id, S.RUNNING, epoch=epoch)
    backend.set_flow_run_state(run_id, S.COMPLETED, epoch=epoch)
    with any_db.writing() as conn:  # as if the release had been lost
        leases.grant(conn, run_id, worker_id, epoch, T0, T0 + timedelta(seconds=1))
    clock.advance(LEASE + 1)
    (expired,) = Monitor(backend.service).tick(clock.now())
    assert not expired.crashed
    assert backend.read_flow_run(run_id).state is S.COMPLETED


def test_claims_skip_runs_scheduled_in_the_future_and_other_queues(
    backend: LocalBackend, any_db: Database, clock: FakeClock
) -> None:
    gpu = create_deployment(
        any_db, DeploymentSpec("train", "etl", "f.py:etl", work_queue="gpu"), now=T0)
    later, on_gpu, due = schedule(backend), schedule(backend), schedule(backend)
    with any_db.writing() as conn:
        conn.execute(update(flow_runs).where(flow_runs.c.id == later)
                     .values(scheduled_time=T0 + timedelta(minutes=5)))
        conn.execute(update(flow_runs).where(flow_runs.c.id == on_gpu)
                     .values(deployment_id=gpu.id))
    worker_id = backend.register_worker("w1", ["default"]).id
    claims = backend.claim_flow_runs(worker_id, ["default"], 10, lease_seconds=LEASE)
    assert [c.flow_run.id for c in claims] == [due]
    clock.advance(300)
    claims = backend.claim_flow_runs(worker_id, ["default", "gpu"], 10, lease_seconds=LEASE)
    assert {c.flow_run.id for c in claims} == {later, on_gpu}


def test_a_suspended_run_not_resumed_before_its_deadline_fails(
    backend: LocalBackend, clock: FakeClock
) -> None:
    from legato.core.pauses import InputStatus, PauseKind, PauseRequest

    schedule(backend)
    run_id, _, epoch = claim_one(backend)
    backend.set_flow_run_state(run_id, S.RUNNING, epoch=epoch)
    deadline = T0 + timedelta(minutes=10)
    backend.pause_flow_run(run_id, PauseRequest("pause-0", PauseKind.SUSPEND, deadline),
                           epoch=epoch)
    waiting = schedule(backend)  # a run paused in its process is left to that process
    _, w2, other_epoch = claim_one(backend, "w2")
    backend.set_flow_run_state(waiting, S.RUNNING, epoch=other_epoch)
    backend.heartbeat_lease(waiting, w2, other_epoch, lease_seconds=3600)
    backend.pause_flow_run(waiting, PauseRequest("pause-0", PauseKind.PAUSE, deadline),
                           epoch=other_epoch)
    monitor = Monitor(backend.service)
    assert monitor.sweep_pauses(deadline - timedelta(seconds=1)) == []
    monitor.tick(deadline)
    failed = backend.read_flow_run(run_id)
    assert failed.state is S.FAILED
    assert failed.state_message is not None and "not resumed before its deadline" in (
        failed.state_message)
    closed = backend.read_run_input(run_id, "pause-0")
    assert closed is not None and closed.status is InputStatus.EXPIRED
    assert backend.read_flow_run(waiting).state is S.PAUSED
    assert monitor.sweep_pauses(deadline + timedelta(hours=1)) == []


def test_a_run_whose_process_died_is_rescheduled_per_its_deployment_then_stays_crashed(
    backend: LocalBackend, any_db: Database
) -> None:
    deployment = create_deployment(any_db, DeploymentSpec("nightly", "etl", "f.py:etl"), now=T0)
    with any_db.writing() as conn:
        assert leases.set_crash_retries(conn, deployment.id, 1)
    run_id = schedule(backend)
    with any_db.writing() as conn:
        conn.execute(update(flow_runs).where(flow_runs.c.id == run_id)
                     .values(deployment_id=deployment.id))
    _, _, epoch = claim_one(backend)
    backend.set_flow_run_state(run_id, S.RUNNING, epoch=epoch)
    again = backend.set_flow_run_state(run_id, S.CRASHED, message="exit -9", epoch=epoch)
    assert again.state is S.SCHEDULED
    assert "crash retry 1 of 1" in (again.state_message or "")
    with pytest.raises(StaleEpoch):
        backend.set_flow_run_state(run_id, S.RUNNING, epoch=epoch)
    _, _, second = claim_one(backend, "w2")
    backend.set_flow_run_state(run_id, S.RUNNING, epoch=second)
    final = backend.set_flow_run_state(run_id, S.CRASHED, message="exit -9", epoch=second)
    assert final.state is S.CRASHED
    history = [e.to_state for e in backend.read_state_events(run_id)]
    assert history.count(S.CRASHED) == 2 and history[-1] is S.CRASHED
