"""The embedded default end to end: `legato server` alone schedules, executes (its local
worker launches the run as a subprocess on the server's SQLite file) and stops on SIGTERM
(a run still going after the grace period is CRASHED with the reason), and cancels a running
run through `legato runs cancel` (its process is terminated, the run ends CANCELLED)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from legato.client.http import HttpBackend
from legato.core.cancel import CANCEL_REASON
from legato.core.states import StateType as S
from legato.engine.results import deserialize
from legato.orchestration.local import LocalBackend
from legato.store.database import Database
from legato.workers.worker import SHUTDOWN_REASON

from .cli import LEGATO, Legato, example
from .test_deploy import ok, run_cli
from .test_server import ServerProcess, free_port, wait_until_healthy

SLOW = """
import time

from legato import flow


@flow
def slow(seconds: float = 60) -> float:
    time.sleep(seconds)
    return seconds
"""

BLOCKED = """
import os
import time
from pathlib import Path

from legato import flow, task


@task
def wait_for(path: str, pid_file: str) -> str:
    Path(pid_file).write_text(str(os.getpid()))
    deadline = time.monotonic() + 120
    while not Path(path).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return path


@flow
def blocked(path: str = "", pid_file: str = "") -> str:
    return wait_for(path, pid_file)
"""


@pytest.fixture
def embedded_server(tmp_path: Path) -> Iterator[ServerProcess]:
    home = tmp_path / "server-home"
    home.mkdir()
    port = free_port()
    with open(tmp_path / "server.out", "wb") as out:
        process = subprocess.Popen(
            [str(LEGATO), "server", "--port", str(port), "--worker-limit", "2",
             "--worker-grace-seconds", "1"],
            env=Legato(home).env(), cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    started = ServerProcess(process, f"http://127.0.0.1:{port}/api/v1")  # type: ignore[arg-type]
    try:
        wait_until_healthy(started)
        yield started
    finally:
        try:  # the server and the runs it launched share the process group
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=10)


def wait_for_state(api: HttpBackend, run_id: str, state: S, log: Path) -> None:
    deadline = time.monotonic() + 30
    current = api.read_flow_run(run_id).state
    while current is not state:
        assert current not in (S.FAILED, S.CRASHED) or state is current, log.read_text()
        assert time.monotonic() < deadline, f"run {run_id} is {current}:\n{log.read_text()}"
        time.sleep(0.1)
        current = api.read_flow_run(run_id).state


def test_the_embedded_worker_executes_a_deployment_run_and_sigterm_exits_0(
    embedded_server: ServerProcess, tmp_path: Path
) -> None:
    home = tmp_path / "client-home"
    home.mkdir()
    url = embedded_server.url
    ok(run_cli(home, url, "deploy", example("hello.py", "hello"), "--name", "adhoc"))
    run = ok(run_cli(home, url, "deployments", "run", "hello/adhoc", "-p", "name=Ada", "--json"))
    api = HttpBackend(url, timeout=10)
    try:
        wait_for_state(api, run["id"], S.COMPLETED, tmp_path / "server.out")
        finished = api.read_flow_run(run["id"])
        assert finished.state is S.COMPLETED, (tmp_path / "server.out").read_text()
        ref = finished.result
        assert ref is not None and ref.storage == "inline" and ref.data is not None
        assert deserialize(ref.serializer, ref.data, "hello") == "Hello, Ada!"
        assert [w.name.startswith("local-") for w in api.list_workers()] == [True]
    finally:
        api.close()
    assert embedded_server.stop(timeout=30) == 0
    assert not (home / "legato.db").exists(), "the run wrote to the client's database"


def test_sigterm_gives_a_running_run_the_grace_period_then_crashes_it_and_exits_0(
    embedded_server: ServerProcess, tmp_path: Path
) -> None:
    home = tmp_path / "client-home"
    home.mkdir()
    flows = tmp_path / "slow.py"
    flows.write_text(SLOW)
    url = embedded_server.url
    ok(run_cli(home, url, "deploy", f"{flows}:slow", "--name", "adhoc"))
    run = ok(run_cli(home, url, "deployments", "run", "slow/adhoc", "-p", "seconds=60",
                     "--json"))
    api = HttpBackend(url, timeout=10)
    try:
        wait_for_state(api, run["id"], S.RUNNING, tmp_path / "server.out")
        started = time.monotonic()
        assert embedded_server.stop(timeout=30) == 0
        assert time.monotonic() - started < 20
    finally:
        api.close()
    db = Database(f"sqlite:///{tmp_path / 'server-home' / 'legato.db'}")
    try:
        crashed = LocalBackend(db).read_flow_run(run["id"])
    finally:
        db.dispose()
    assert (crashed.state, crashed.state_message) == (S.CRASHED, SHUTDOWN_REASON)


def test_runs_cancel_terminates_a_running_run_and_it_ends_cancelled(
    embedded_server: ServerProcess, tmp_path: Path
) -> None:
    home = tmp_path / "client-home"
    home.mkdir()
    flows = tmp_path / "blocked.py"
    flows.write_text(BLOCKED)
    pid_file = tmp_path / "run.pid"
    url = embedded_server.url
    ok(run_cli(home, url, "deploy", f"{flows}:blocked", "--name", "adhoc"))
    run = ok(run_cli(home, url, "deployments", "run", "blocked/adhoc", "-p",
                     f"path={tmp_path / 'never'}", "-p", f"pid_file={pid_file}", "--json"))
    api = HttpBackend(url, timeout=10)
    try:
        wait_for_state(api, run["id"], S.RUNNING, tmp_path / "server.out")
        deadline = time.monotonic() + 30
        while not pid_file.exists() or not pid_file.read_text():
            assert time.monotonic() < deadline, (tmp_path / "server.out").read_text()
            time.sleep(0.05)
        pid = int(pid_file.read_text())
        started = time.monotonic()
        cancelled = ok(run_cli(home, url, "runs", "cancel", run["id"], "--json"))
        assert cancelled["state"] == S.CANCELLING.value
        wait_for_state(api, run["id"], S.CANCELLED, tmp_path / "server.out")
        assert time.monotonic() - started < 15
        final = api.read_flow_run(run["id"])
        assert final.state_message == CANCEL_REASON
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
        again = run_cli(home, url, "runs", "cancel", run["id"])
        assert again.returncode == 1, again.stderr
        assert "already CANCELLED" in again.stderr
    finally:
        api.close()
    assert embedded_server.stop(timeout=30) == 0
