"""Workers end to end on PostgreSQL: a real `legato server`, `legato worker` processes that
claim SCHEDULED runs over the API and execute each in a subprocess; every run executes
exactly once; a worker SIGKILLed mid-run has its run CRASHED by the monitor, rescheduled
and finished by another worker without re-running the task that had completed."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from legato.client.http import HttpBackend
from legato.core.ids import new_id
from legato.core.records import NewFlowRun
from legato.core.states import StateType as S
from legato.scheduling.monitor import Monitor
from legato.store.database import Database
from legato.workers.worker import SHUTDOWN_REASON

from .cli import LEGATO, Legato
from .test_server import ServerProcess, free_port, wait_until_healthy

pytestmark = pytest.mark.postgres

FLOWS = '''
import os
import time

from legato import flow, task


def note(log: str, line: str) -> None:
    with open(log, "a") as fh:
        fh.write(line + "\\n")


@task
def append(log: str, token: str) -> str:
    note(log, token)
    return token


@flow
def once(log: str, token: str) -> str:
    return append(log, token)


@task
def first(log: str) -> int:
    note(log, "first")
    return 1


@task
def gated(log: str, gate: str, x: int) -> int:
    note(log, "gated")
    deadline = time.monotonic() + 60
    while not os.path.exists(gate) and time.monotonic() < deadline:
        time.sleep(0.02)
    return x + 1


@flow
def blocked(log: str, gate: str) -> int:
    return gated(log, gate, first(log))
'''


class Processes:
    """Every process a test starts, SIGKILLed (with its process group) at teardown."""

    def __init__(self, tmp_path: Path, env: dict[str, str]) -> None:
        self.tmp_path = tmp_path
        self.env = env
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        with open(self.tmp_path / f"{name}.out", "wb") as out:
            process = subprocess.Popen([str(LEGATO), *args], env=self.env, cwd=self.tmp_path,
                                       stdout=out, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        self.started.append(process)
        return process

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        """SIGKILL the process and everything it started (its session's process group)."""
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def kill_all(self) -> None:
        for process in self.started:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait(timeout=10)


@pytest.fixture
def processes(tmp_path: Path, postgres_url: str) -> Iterator[Processes]:
    home = tmp_path / "home"
    home.mkdir()
    started = Processes(tmp_path, Legato(home, postgres_url).env())
    try:
        yield started
    finally:
        started.kill_all()


@pytest.fixture
def server(processes: Processes) -> ServerProcess:
    port = free_port()
    process = processes.start("server", "server", "--port", str(port), "--no-worker",
                              "--no-monitor")
    running = ServerProcess(process, f"http://127.0.0.1:{port}/api/v1")  # type: ignore[arg-type]
    wait_until_healthy(running)
    return running


@pytest.fixture
def api(server: ServerProcess) -> Iterator[HttpBackend]:
    backend = HttpBackend(server.url, timeout=10)
    yield backend
    backend.close()


def start_worker(processes: Processes, server: ServerProcess, name: str,
                 limit: int = 4) -> subprocess.Popen[bytes]:
    return processes.start(name, "worker", "--queue", "default", "--limit", str(limit),
                           "--name", name,
                           "--api-url", server.url, "--lease-seconds", "2",
                           "--poll-seconds", "0.05", "--grace-seconds", "1")


def schedule(api: HttpBackend, entrypoint: str, flow: str, parameters: dict[str, str]) -> str:
    run_id = new_id()
    api.create_flow_run(NewFlowRun(run_id, flow, f"e2e-{run_id[-6:]}", parameters, S.SCHEDULED,
                                   datetime.now(UTC), entrypoint=entrypoint))
    return run_id


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.05)


def lines(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


def test_two_workers_run_every_scheduled_run_exactly_once(
    processes: Processes, server: ServerProcess, api: HttpBackend, tmp_path: Path
) -> None:
    flows = tmp_path / "flows.py"
    flows.write_text(FLOWS)
    log = tmp_path / "executions.log"
    tokens = [schedule(api, f"{flows}:once", "once", {"log": str(log), "token": f"t{i}"})
              for i in range(20)]
    for name in ("worker-a", "worker-b"):
        start_worker(processes, server, name, limit=10)

    def all_done() -> bool:
        return len(api.list_flow_runs(states=[S.COMPLETED], limit=100)) == 20

    wait_for(all_done, "20 runs COMPLETED", seconds=25)
    assert sorted(lines(log)) == sorted(f"t{i}" for i in range(20))
    assert {api.read_flow_run(run_id).state for run_id in tokens} == {S.COMPLETED}
    assert {w.name for w in api.list_workers()} == {"worker-a", "worker-b"}


def test_a_killed_workers_run_is_crashed_rescheduled_and_resumed_elsewhere(
    processes: Processes, server: ServerProcess, api: HttpBackend, tmp_path: Path,
    postgres_url: str,
) -> None:
    flows = tmp_path / "flows.py"
    flows.write_text(FLOWS)
    log, gate = tmp_path / "executions.log", tmp_path / "gate"
    run_id = schedule(api, f"{flows}:blocked", "blocked", {"log": str(log), "gate": str(gate)})
    doomed = start_worker(processes, server, "doomed")

    def first_committed() -> bool:
        done = [t for t in api.read_task_runs(run_id) if t.state is S.COMPLETED]
        return "gated" in lines(log) and [t.task_name for t in done] == ["first"]

    wait_for(first_committed, "task 'first' is committed and 'gated' is running")
    processes.kill(doomed)
    db = Database(postgres_url)
    try:
        monitor = Monitor(db, default_retries=1)
        wait_for(lambda: bool(monitor.tick()), "the monitor finds the expired lease", 10)
    finally:
        db.dispose()
    history = [(e.to_state, e.message) for e in api.read_state_events(run_id)]
    assert history[-2][0] is S.CRASHED
    assert (history[-2][1] or "").startswith("lease expired: worker doomed stopped heartbeating")
    assert history[-1][0] is S.SCHEDULED
    gate.touch()
    start_worker(processes, server, "rescuer")
    wait_for(lambda: api.read_flow_run(run_id).state is S.COMPLETED, "the run COMPLETED")
    assert lines(log).count("first") == 1
    assert lines(log).count("gated") == 2
    claimed = [e.message for e in api.read_state_events(run_id) if e.to_state is S.PENDING]
    assert claimed == ["claimed by worker doomed", "claimed by worker rescuer"]


def test_sigterm_gives_runs_a_grace_period_then_marks_them_crashed(
    processes: Processes, server: ServerProcess, api: HttpBackend, tmp_path: Path
) -> None:
    flows = tmp_path / "flows.py"
    flows.write_text(FLOWS)
    log, gate = tmp_path / "executions.log", tmp_path / "never"
    run_id = schedule(api, f"{flows}:blocked", "blocked", {"log": str(log), "gate": str(gate)})
    worker = start_worker(processes, server, "leaving")
    wait_for(lambda: "gated" in lines(log), "task 'gated' is running")
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=15) == 0
    run = api.read_flow_run(run_id)
    assert (run.state, run.state_message) == (S.CRASHED, SHUTDOWN_REASON)
    assert [w.status for w in api.list_workers()] == ["stopped"]
