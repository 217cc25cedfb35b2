"""The embedded default end to end: `legato server` alone schedules, executes (its local
worker launches the run as a subprocess on the server's SQLite file) and stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from legato.client.http import HttpBackend
from legato.core.states import StateType as S
from legato.engine.results import deserialize

from .cli import LEGATO, Legato, example
from .test_deploy import ok, run_cli
from .test_server import ServerProcess, free_port, wait_until_healthy


@pytest.fixture
def embedded_server(tmp_path: Path) -> Iterator[ServerProcess]:
    home = tmp_path / "server-home"
    home.mkdir()
    port = free_port()
    with open(tmp_path / "server.out", "wb") as out:
        process = subprocess.Popen(
            [str(LEGATO), "server", "--port", str(port), "--worker-limit", "2"],
            env=Legato(home).env(), cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    started = ServerProcess(process, f"http://127.0.0.1:{port}/api/v1")  # type: ignore[arg-type]
    try:
        wait_until_healthy(started)
        yield started
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


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
        deadline = time.monotonic() + 30
        state = api.read_flow_run(run["id"]).state
        while state is not S.COMPLETED and time.monotonic() < deadline:
            assert state not in (S.FAILED, S.CRASHED), (tmp_path / "server.out").read_text()
            time.sleep(0.1)
            state = api.read_flow_run(run["id"]).state
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
