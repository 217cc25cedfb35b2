"""`legato server` end to end: a real server process on a free port, a flow run by another
`legato` process through LEGATO_API_URL, the results read back over the API, then SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from legato.server.runner import bind_socket

from .cli import LEGATO, Legato, describe, example


def free_port() -> int:
    with bind_socket("127.0.0.1", 0) as sock:
        port: int = sock.getsockname()[1]
    return port


@dataclass
class ServerProcess:
    process: subprocess.Popen[str]
    url: str

    def stop(self, timeout: float = 5) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)


def wait_until_healthy(server: ServerProcess, deadline_seconds: float = 20) -> None:
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            output = server.process.communicate()
            raise AssertionError(f"legato server exited {server.process.returncode}: {output}")
        try:
            if httpx.get(f"{server.url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"legato server at {server.url} did not become healthy")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    home = tmp_path / "server-home"
    home.mkdir()
    env = Legato(home).env()
    port = free_port()
    process = subprocess.Popen(
        [str(LEGATO), "server", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    started = ServerProcess(process, f"http://127.0.0.1:{port}/api/v1")
    try:
        wait_until_healthy(started)
        yield started
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        process.communicate()


def test_a_flow_runs_against_the_server_and_sigterm_stops_it_cleanly(
    server: ServerProcess, tmp_path: Path
) -> None:
    assert httpx.get(f"{server.url}/ready", timeout=5).json() == {"status": "ready"}
    client = Legato(tmp_path / "client-home")
    client.home.mkdir()
    env = {**client.env(), "LEGATO_API_URL": server.url}
    completed = subprocess.run(
        [str(LEGATO), "run", example("etl.py", "etl"), "-p", "n=5", "--json"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, describe(completed)
    assert not (client.home / "legato.db").exists(), "the flow wrote to a local database"

    with httpx.Client(base_url=server.url, timeout=10) as api:
        [run] = api.get("/flow-runs").json()["items"]
        assert (run["flow_name"], run["state"], run["parameters"]) == (
            "etl",
            "COMPLETED",
            {"n": 5, "factor": 1},
        )
        tasks = api.get(f"/flow-runs/{run['id']}/task-runs").json()["items"]
        keys = {task["task_key"]: task["state"] for task in tasks}
        assert keys["extract-0"] == keys["load-0"] == "COMPLETED"
        assert {f"transform-0[{i}]" for i in range(5)} <= set(keys)
        logs = api.get(f"/flow-runs/{run['id']}/logs").json()["items"]
        assert any("loaded 5 rows, total 30" in line["message"] for line in logs)

    assert server.stop(timeout=5) == 0
    stdout, stderr = server.process.communicate()
    assert f"serving at http://127.0.0.1:{server.url.split(':')[2]}" in stdout, stderr


def test_server_refuses_a_public_address_without_auth(tmp_path: Path) -> None:
    completed = Legato(tmp_path)("server", "--host", "0.0.0.0", "--port", "0")
    assert completed.returncode == 2, describe(completed)
    assert "without authentication" in completed.stderr
    assert "legato users create admin --role admin" in completed.stderr
