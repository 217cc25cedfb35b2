"""The worker's steps with a fake launcher and a fake clock: claiming up to free slots,
reaping children, heartbeats that lose a run, and graceful shutdown."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from legato._clock import FakeClock
from legato.core.cancel import CANCEL_REASON
from legato.core.ids import new_id
from legato.core.limits import timeout_message
from legato.core.records import FlowRunRecord, FlowVersionRecord, NewFlowRun
from legato.core.states import StateType as S
from legato.testing import InMemoryBackend
from legato.workers.execute import CANCEL_SIGNAL
from legato.workers.launcher import execute_argv
from legato.workers.worker import SHUTDOWN_REASON, Worker

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class FakeChild:
    """A launched run whose exit the test decides."""

    def __init__(self, pid: int, exit_on_terminate: int | None = -15) -> None:
        self.pid = pid
        self.status: int | None = None
        self.terminated = False
        self.exit_on_terminate = exit_on_terminate
        self.signals: list[int] = []
        self.on_signal: Callable[[int], None] | None = None

    def poll(self) -> int | None:
        return self.status

    def send_signal(self, signum: int) -> None:
        self.signals.append(signum)
        if self.on_signal is not None:
            self.on_signal(signum)

    def terminate(self) -> None:
        self.terminated = True
        if self.exit_on_terminate is not None:
            self.status = self.exit_on_terminate

    def kill(self) -> None:
        self.status = -9


class FakeLauncher:
    def __init__(self) -> None:
        self.children: dict[str, FakeChild] = {}
        self.epochs: dict[str, int] = {}

    def launch(self, flow_run_id: str, epoch: int) -> FakeChild:
        child = self.children[flow_run_id] = FakeChild(1000 + len(self.children))
        self.epochs[flow_run_id] = epoch
        return child


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def backend(clock: FakeClock) -> InMemoryBackend:
    return InMemoryBackend(clock)


@pytest.fixture
def launcher() -> FakeLauncher:
    return FakeLauncher()


@pytest.fixture
def worker(backend: InMemoryBackend, launcher: FakeLauncher, clock: FakeClock) -> Worker:
    return Worker(backend, "w1", ["default"], 2, launcher, clock, lease_seconds=10,
                  grace_seconds=5)


def schedule(backend: InMemoryBackend, count: int) -> list[str]:
    ids = [new_id() for _ in range(count)]
    for i, run_id in enumerate(ids):
        backend.create_flow_run(NewFlowRun(run_id, "etl", f"run-{i}", {}, S.SCHEDULED,
                                           backend.clock.now(), entrypoint="f.py:etl"))
        backend.clock.advance(1)  # type: ignore[attr-defined]
    return ids


def test_the_launched_command_is_an_argv_naming_the_run_and_epoch() -> None:
    argv = execute_argv("abc", 3)
    assert argv[1:] == ["-m", "legato.workers.execute", "abc", "3"]


def test_poll_claims_only_up_to_free_slots(
    worker: Worker, backend: InMemoryBackend, launcher: FakeLauncher, clock: FakeClock
) -> None:
    ids = schedule(backend, 3)
    claims = worker.poll_once(clock.now())
    assert [c.flow_run.id for c in claims] == ids[:2]
    assert launcher.epochs == {ids[0]: 1, ids[1]: 1}
    assert worker.poll_once(clock.now()) == []
    launcher.children[ids[0]].status = 0
    assert [c.flow_run.id for c in worker.poll_once(clock.now())] == [ids[2]]
    assert backend.list_workers()[0].name == "w1"


def test_a_child_that_dies_leaves_its_run_crashed(
    worker: Worker, backend: InMemoryBackend, launcher: FakeLauncher, clock: FakeClock
) -> None:
    (run_id,) = schedule(backend, 1)
    worker.poll_once(clock.now())
    launcher.children[run_id].status = -9
    assert worker.reap() == [(run_id, -9)]
    run = backend.read_flow_run(run_id)
    assert run.state is S.CRASHED
    assert run.state_message == "the run's process exited with status -9 before the run finished"
    assert worker.running == {}


def test_heartbeats_renew_leases_and_a_lost_run_is_terminated(
    worker: Worker, backend: InMemoryBackend, launcher: FakeLauncher, clock: FakeClock
) -> None:
    kept, lost = schedule(backend, 2)
    worker.poll_once(clock.now())
    clock.advance(5)
    backend.leases[lost] = ("another-worker", 2, clock.now())  # another holder took it
    worker.heartbeat_once(clock.now())
    assert backend.leases[kept][2] == clock.now() + timedelta(seconds=10)
    assert launcher.children[lost].terminated
    assert not launcher.children[kept].terminated
    assert set(worker.running) == {kept}


def test_shutdown_waits_for_running_runs_then_crashes_the_rest(
    worker: Worker, backend: InMemoryBackend, launcher: FakeLauncher, clock: FakeClock
) -> None:
    done, stuck = schedule(backend, 2)
    worker.poll_once(clock.now())
    for run_id in (done, stuck):
        backend.set_flow_run_state(run_id, S.RUNNING, epoch=launcher.epochs[run_id])
    backend.set_flow_run_state(done, S.COMPLETED, epoch=launcher.epochs[done])
    launcher.children[done].status = 0
    worker.shutdown()
    assert launcher.children[stuck].terminated
    assert backend.read_flow_run(done).state is S.COMPLETED
    crashed = backend.read_flow_run(stuck)
    assert (crashed.state, crashed.state_message) == (S.CRASHED, SHUTDOWN_REASON)
    assert backend.list_workers()[0].status == "stopped"
    assert worker.running == {}


def test_shutdown_kills_a_child_that_ignores_terminate(
    backend: InMemoryBackend, launcher: FakeLauncher, clock: FakeClock
) -> None:
    (run_id,) = schedule(backend, 1)
    worker = Worker(backend, "w1", ["default"], 1, launcher, clock, grace_seconds=1)
    worker.poll_once(clock.now())
    launcher.children[run_id].exit_on_terminate = None
    worker.shutdown()
    assert launcher.children[run_id].status == -9
    assert backend.read_flow_run(run_id).state is S.CRASHED


def cancel_one_of_two(worker: Worker, backend: InMemoryBackend, launcher: FakeLauncher,
                      clock: FakeClock) -> tuple[str, str]:
    cancelled, kept = schedule(backend, 2)
    worker.poll_once(clock.now())
    for run_id in (cancelled, kept):
        backend.set_flow_run_state(run_id, S.RUNNING, epoch=launcher.epochs[run_id])
    backend.set_flow_run_state(cancelled, S.CANCELLING, message=CANCEL_REASON)
    return cancelled, kept


def test_a_cancelling_run_is_asked_to_stop_at_a_task_boundary_and_ends_cancelled(
    worker: Worker, backend: InMemoryBackend, launcher: FakeLauncher, clock: FakeClock
) -> None:
    cancelled, kept = cancel_one_of_two(worker, backend, launcher, clock)
    child = launcher.children[cancelled]

    def engine_stops(signum: int) -> None:  # what the run's process does on the signal
        backend.set_flow_run_state(cancelled, S.CANCELLED, message="the flow run was cancelled",
                                   epoch=launcher.epochs[cancelled])
        child.status = 0

    child.on_signal = engine_stops
    assert worker.cancel_once() == [cancelled]
    assert child.signals == [CANCEL_SIGNAL] and not child.terminated
    assert worker.reap() == [(cancelled, 0)]
    record = backend.read_flow_run(cancelled)
    assert (record.state, record.state_message) == (S.CANCELLED, "the flow run was cancelled")
    assert cancelled not in backend.leases
    assert set(worker.running) == {kept} and launcher.children[kept].signals == []
    assert worker.cancel_once() == []


@pytest.mark.parametrize("exit_on_terminate", [-15, None], ids=["exits", "ignores-sigterm"])
def test_a_cancelled_run_that_does_not_stop_is_terminated_then_killed_after_the_grace(
    worker: Worker, backend: InMemoryBackend, launcher: FakeLauncher, clock: FakeClock,
    exit_on_terminate: int | None,
) -> None:
    cancelled, kept = cancel_one_of_two(worker, backend, launcher, clock)
    child = launcher.children[cancelled]
    child.exit_on_terminate = exit_on_terminate
    assert worker.cancel_once() == [cancelled]
    worker.escalate()
    assert not child.terminated and worker.reap() == []
    clock.advance(worker.cancel_grace_seconds)
    worker.escalate()
    assert child.terminated
    if exit_on_terminate is None:
        assert worker.reap() == []
        clock.advance(worker.cancel_grace_seconds)
        worker.escalate()
    assert worker.reap() == [(cancelled, -15 if exit_on_terminate is not None else -9)]
    record = backend.read_flow_run(cancelled)
    assert (record.state, record.state_message) == (S.CANCELLED, CANCEL_REASON)
    assert cancelled not in backend.leases
    assert set(worker.running) == {kept}
    assert not launcher.children[kept].terminated


def test_shutdown_ends_a_cancelling_run_cancelled_not_crashed(
    worker: Worker, backend: InMemoryBackend, launcher: FakeLauncher, clock: FakeClock
) -> None:
    cancelled, kept = cancel_one_of_two(worker, backend, launcher, clock)
    worker.cancel_once()
    worker.shutdown()
    assert backend.read_flow_run(cancelled).state is S.CANCELLED
    assert backend.read_flow_run(kept).state is S.CRASHED


def test_a_run_stopped_for_its_timeout_ends_failed_with_the_reason(
    worker: Worker, backend: InMemoryBackend, launcher: FakeLauncher, clock: FakeClock,
) -> None:
    (run_id,) = schedule(backend, 1)
    worker.poll_once(clock.now())
    launcher.children[run_id].exit_on_terminate = -15
    backend.set_flow_run_state(run_id, S.RUNNING, epoch=launcher.epochs[run_id])
    backend.set_flow_run_state(run_id, S.CANCELLING, message=timeout_message(30), force=True)
    assert worker.cancel_once() == [run_id]
    assert launcher.children[run_id].terminated
    assert launcher.children[run_id].signals == []  # no cooperative stop: it would be CANCELLED
    assert worker.reap() == [(run_id, -15)]
    record = backend.read_flow_run(run_id)
    assert (record.state, record.state_message) == (S.FAILED, "timed out after 30 s")
    assert run_id not in backend.leases


def test_poll_once_with_a_wait_launches_a_run_scheduled_while_it_waits(
    worker: Worker, backend: InMemoryBackend, launcher: FakeLauncher
) -> None:
    later = threading.Timer(0.1, schedule, args=(backend, 1))
    later.start()
    try:
        claims = worker.poll_once(T0, wait_seconds=15)
    finally:
        later.join()
    assert [c.flow_run.id for c in claims] == list(launcher.children)
    assert len(worker.running) == 1


class StartingLauncher(FakeLauncher):
    def __init__(self) -> None:
        super().__init__()
        self.started = 0

    def start(self) -> None:
        self.started += 1


def test_run_starts_the_launcher_before_the_first_claim(
    backend: InMemoryBackend, clock: FakeClock
) -> None:
    launcher = StartingLauncher()
    stop = threading.Event()
    stop.set()
    Worker(backend, "w1", ["default"], 2, launcher, clock).run(stop)
    assert launcher.started == 1


class ClaimedLauncher(FakeLauncher):
    """A launcher that takes what the worker knows of each claimed run."""

    def __init__(self) -> None:
        super().__init__()
        self.versions: dict[str, FlowVersionRecord | None] = {}

    def launch_claimed(self, claimed: FlowRunRecord, epoch: int,
                       version: FlowVersionRecord | None) -> FakeChild:
        self.versions[claimed.id] = version
        return self.launch(claimed.id, epoch)


def test_a_launcher_that_takes_claims_gets_the_record_and_the_version_read_once(
    backend: InMemoryBackend, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    version_id = backend.register_flow_version("etl", "source", "h1", "f.py:etl")
    ids = [new_id() for _ in range(3)]
    for run_id in ids:
        backend.create_flow_run(NewFlowRun(run_id, "etl", "r", {}, S.SCHEDULED, clock.now(),
                                           flow_version_id=version_id,
                                           entrypoint="f.py:etl"))
    reads: list[str] = []
    read = backend.read_flow_version

    def counting(flow_version_id: str) -> FlowVersionRecord:
        reads.append(flow_version_id)
        return read(flow_version_id)

    monkeypatch.setattr(backend, "read_flow_version", counting)
    launcher = ClaimedLauncher()
    worker = Worker(backend, "w1", ["default"], 3, launcher, clock)
    assert len(worker.poll_once(clock.now())) == 3
    assert reads == [version_id]
    assert {v.id if v else None for v in launcher.versions.values()} == {version_id}
    assert set(launcher.versions) == set(ids)
