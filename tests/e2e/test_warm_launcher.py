"""The warm launcher with real processes on a SQLite file: runs forked from the warm parent
complete; terminate stops a run's process; a Worker with it cancels a running run (at its
next task, or by terminating a run without task boundaries); when the
warm parent dies its children are stopped, reported lost, and the next launch starts a new one."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from legato._clock import SYSTEM_CLOCK
from legato.core.cancel import CANCEL_REASON, cancel_flow_run
from legato.core.ids import new_id
from legato.core.records import NewFlowRun
from legato.core.states import StateType as S
from legato.orchestration.local import LocalBackend, create_local_backend
from legato.settings import Settings
from legato.workers.local import child_env
from legato.workers.warm import LOST_STATUS, WarmChild, WarmLauncher
from legato.workers.worker import Worker

FLOWS = '''
import os
import time

from legato import flow, task


@flow
def stamp(log: str, token: str) -> str:
    with open(log, "a") as fh:
        fh.write(f"{token} {os.getpid()}\\n")
    return token


@task
def step(log: str, i: int) -> int:
    with open(log, "a") as fh:
        fh.write(f"step {i}\\n")
    time.sleep(0.02)
    return i


@flow
def steps(log: str) -> None:
    for i in range(500):
        step(log, i)


@flow
def hang(log: str, gate: str) -> None:
    with open(log, "a") as fh:
        fh.write(f"started {os.getpid()}\\n")
    deadline = time.monotonic() + 60
    while not os.path.exists(gate) and time.monotonic() < deadline:
        time.sleep(0.02)
'''


class Setup:
    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.flows = tmp_path / "flows.py"
        self.flows.write_text(FLOWS)
        self.log = tmp_path / "log.txt"
        self.gate = tmp_path / "gate"
        self.settings = Settings.from_env({"LEGATO_HOME": str(tmp_path / "home")})
        self.backend: LocalBackend = create_local_backend(self.settings)
        self.launcher = WarmLauncher(child_env(self.settings))
        self.worker_id = self.backend.register_worker("w1", ["default"]).id

    def claim(self, flow: str, **parameters: str) -> tuple[str, int]:
        run_id = new_id()
        self.backend.create_flow_run(NewFlowRun(
            run_id, flow, f"{flow}-run", {"log": str(self.log), **parameters}, S.SCHEDULED,
            SYSTEM_CLOCK.now(), entrypoint=f"{self.flows}:{flow}"))
        (claim,) = self.backend.claim_flow_runs(self.worker_id, ["default"], 1, lease_seconds=60)
        return run_id, claim.epoch

    def lines(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    made = Setup(tmp_path)
    try:
        yield made
    finally:
        made.gate.touch()
        made.launcher.close(wait_seconds=30)
        made.backend.close()


def wait_until(condition: object, seconds: float = 60) -> None:
    assert callable(condition)
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def gone(pid: int) -> bool:
    """The process no longer runs: it does not exist, or is a zombie awaiting its reaper."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def exit_status(child: WarmChild, seconds: float = 60) -> int:
    wait_until(lambda: child.poll() is not None, seconds)
    status = child.poll()
    assert status is not None
    return status


def test_runs_forked_from_the_warm_parent_complete_each_in_its_own_process(
    setup: Setup
) -> None:
    launched = []
    for token in ("a", "b", "c"):
        run_id, epoch = setup.claim("stamp", token=token)
        launched.append((run_id, setup.launcher.launch(run_id, epoch)))
    for run_id, child in launched:
        assert exit_status(child) == 0
        assert setup.backend.read_flow_run(run_id).state is S.COMPLETED
    lines = [line.split() for line in setup.lines()]
    assert sorted(token for token, _ in lines) == ["a", "b", "c"]
    assert {int(pid) for _, pid in lines} == {child.pid for _, child in launched}
    assert os.getpid() not in {child.pid for _, child in launched}


def test_terminate_stops_the_runs_process(setup: Setup) -> None:
    run_id, epoch = setup.claim("hang", gate=str(setup.gate))
    child = setup.launcher.launch(run_id, epoch)
    wait_until(lambda: len(setup.lines()) == 1)
    child.terminate()
    assert exit_status(child) == -signal.SIGTERM


def drive(worker: Worker, run_id: str) -> bool:
    """One turn of the worker's loop for a cancelled run; True once it is gone."""
    worker.escalate()
    worker.reap()
    return run_id not in worker.running


def test_a_worker_with_the_warm_launcher_terminates_a_cancelled_run_without_task_boundaries(
    setup: Setup
) -> None:
    worker = Worker(setup.backend, "w2", ["default"], 2, setup.launcher, lease_seconds=60,
                    cancel_grace_seconds=0.5)
    run_id = new_id()
    setup.backend.create_flow_run(NewFlowRun(
        run_id, "hang", "hang-run", {"log": str(setup.log), "gate": str(setup.gate)},
        S.SCHEDULED, SYSTEM_CLOCK.now(), entrypoint=f"{setup.flows}:hang"))
    assert [c.flow_run.id for c in worker.poll_once(SYSTEM_CLOCK.now())] == [run_id]
    wait_until(lambda: setup.backend.read_flow_run(run_id).state is S.RUNNING)
    pid = worker.running[run_id].child.pid
    cancel_flow_run(setup.backend, run_id)
    assert worker.cancel_once() == [run_id]
    wait_until(lambda: drive(worker, run_id), 30)
    record = setup.backend.read_flow_run(run_id)
    assert (record.state, record.state_message) == (S.CANCELLED, CANCEL_REASON)
    assert gone(pid)


def test_a_warm_child_stops_a_cancelled_run_at_its_next_task(setup: Setup) -> None:
    worker = Worker(setup.backend, "w2", ["default"], 2, setup.launcher, lease_seconds=60,
                    cancel_grace_seconds=30)
    run_id = new_id()
    setup.backend.create_flow_run(NewFlowRun(
        run_id, "steps", "steps-run", {"log": str(setup.log)}, S.SCHEDULED,
        SYSTEM_CLOCK.now(), entrypoint=f"{setup.flows}:steps"))
    worker.poll_once(SYSTEM_CLOCK.now())
    wait_until(lambda: len(setup.lines()) >= 3)
    cancel_flow_run(setup.backend, run_id)
    assert worker.cancel_once() == [run_id]
    wait_until(lambda: drive(worker, run_id), 30)
    record = setup.backend.read_flow_run(run_id)
    assert (record.state, record.state_message) == (S.CANCELLED, "the flow run was cancelled")
    done = [t for t in setup.backend.read_task_runs(run_id) if t.state is S.COMPLETED]
    assert 3 <= len(done) == len(setup.lines()) < 500


def test_when_the_warm_parent_dies_its_children_are_stopped_and_a_new_parent_starts(
    setup: Setup
) -> None:
    run_id, epoch = setup.claim("hang", gate=str(setup.gate))
    child = setup.launcher.launch(run_id, epoch)
    wait_until(lambda: len(setup.lines()) == 1)
    parent = setup.launcher._current().process
    os.kill(parent.pid, signal.SIGKILL)
    assert exit_status(child) == LOST_STATUS
    wait_until(lambda: gone(child.pid), 10)
    second_id, second_epoch = setup.claim("stamp", token="after")
    second = setup.launcher.launch(second_id, second_epoch)
    assert exit_status(second) == 0
    assert setup.launcher._current().process.pid != parent.pid
