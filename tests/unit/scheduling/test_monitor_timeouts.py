"""The monitor stops runs past their deployment's run timeout, with a fake clock on SQLite
and PostgreSQL: the run becomes CANCELLING with "timed out after N s" once, its worker's
lease is kept (the worker ends it FAILED), and runs that finished or have no timeout are
left alone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from legato._clock import FakeClock
from legato.core.deployments import DeploymentSpec
from legato.core.states import StateType as S
from legato.orchestration.deployments import (
    create_deployment,
    list_deployments,
    update_deployment,
)
from legato.orchestration.local import LocalBackend
from legato.scheduling.deployments import run_deployment
from legato.scheduling.monitor import Monitor
from legato.store.database import Database

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LEASE = 10.0
TIMEOUT = 30.0


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def backend(any_db: Database, clock: FakeClock) -> LocalBackend:
    return LocalBackend(any_db, clock=clock)


def start_run(backend: LocalBackend, timeout: float | None = TIMEOUT) -> tuple[str, str, int]:
    spec = DeploymentSpec("d", "etl", "f.py:etl", run_timeout_seconds=timeout)
    deployment = create_deployment(backend.db, spec, now=T0)
    run_deployment(backend.db, deployment.id, now=T0)
    worker_id = backend.register_worker("w1", ["default"]).id
    (claim,) = backend.claim_flow_runs(worker_id, ["default"], 1, lease_seconds=LEASE)
    backend.set_flow_run_state(claim.flow_run.id, S.RUNNING, epoch=claim.epoch)
    return claim.flow_run.id, worker_id, claim.epoch


def keep_alive(backend: LocalBackend, clock: FakeClock, run: tuple[str, str, int],
               seconds: float, monitor: Monitor) -> list[str]:
    """Heartbeat the lease while `seconds` pass, ticking the monitor; the runs it stopped."""
    run_id, worker_id, epoch = run
    stopped: list[str] = []
    for _ in range(int(seconds // 5)):
        clock.advance(5)
        backend.heartbeat_lease(run_id, worker_id, epoch, lease_seconds=LEASE)
        monitor.tick(clock.now())
        stopped.extend(monitor.sweep_timeouts(clock.now()))
    return stopped


def test_a_run_past_its_timeout_becomes_cancelling_with_the_reason(
    backend: LocalBackend, clock: FakeClock
) -> None:
    run = start_run(backend)
    monitor = Monitor(backend.service)
    assert keep_alive(backend, clock, run, TIMEOUT - 5, monitor) == []
    assert backend.read_flow_run(run[0]).state is S.RUNNING
    clock.advance(6)
    backend.heartbeat_lease(run[0], run[1], run[2], lease_seconds=LEASE)
    assert monitor.sweep_timeouts(clock.now()) == [run[0]]
    record = backend.read_flow_run(run[0])
    assert (record.state, record.state_message) == (S.CANCELLING, "timed out after 30 s")
    assert keep_alive(backend, clock, run, 20, monitor) == []
    backend.set_flow_run_state(run[0], S.FAILED, message=record.state_message, epoch=run[2])
    assert backend.read_flow_run(run[0]).state is S.FAILED


def test_runs_without_a_timeout_or_already_finished_are_left_alone(
    backend: LocalBackend, clock: FakeClock
) -> None:
    run = start_run(backend, timeout=None)
    monitor = Monitor(backend.service)
    assert keep_alive(backend, clock, run, 120, monitor) == []
    assert backend.read_flow_run(run[0]).state is S.RUNNING


def test_a_run_that_finished_in_time_is_not_stopped(
    backend: LocalBackend, clock: FakeClock
) -> None:
    run_id, _, epoch = start_run(backend)
    backend.set_flow_run_state(run_id, S.COMPLETED, epoch=epoch)
    clock.advance(TIMEOUT * 2)
    assert Monitor(backend.service).sweep_timeouts(clock.now()) == []
    assert backend.read_flow_run(run_id).state is S.COMPLETED


def test_dropping_the_timeout_from_the_deployment_spares_going_runs(
    backend: LocalBackend, clock: FakeClock
) -> None:
    run = start_run(backend)
    (deployment,) = list_deployments(backend.db)
    update_deployment(backend.db, deployment.id, now=T0, run_timeout_seconds=None)
    assert keep_alive(backend, clock, run, TIMEOUT + 10, Monitor(backend.service)) == []
    assert backend.read_flow_run(run[0]).state is S.RUNNING

