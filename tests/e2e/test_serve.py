"""`legato.serve(...)` end to end: a script serving two flows deploys them and executes
their runs in subprocesses, with an embedded server on the local database when no server is
configured, or against a running `legato server`; SIGTERM stops it cleanly."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .cli import LEGATO, Legato
from .test_server import ServerProcess, free_port, wait_until_healthy

SCRIPT = '''
import sys
from pathlib import Path

import legato
from legato import flow, task


@task
def touch(path: str, text: str) -> str:
    Path(path).write_text(text)
    return text


@flow
def greet(marker: str = "greeted.txt", name: str = "world") -> str:
    return touch(marker, f"hello {name}")


@flow
def idle() -> int:
    return 0


if __name__ == "__main__":
    legato.serve(greet.to_deployment("greeter", parameters={"name": "Ada"}, tags=["demo"]),
                 idle, limit=2)
'''
READY = re.compile(r"serving (?P<names>.+) at (?P<url>\S+); press Ctrl-C")


class Served:
    """A running `python script.py` that serves flows; its stdout lines arrive on a queue."""

    def __init__(self, script: Path, env: dict[str, str]) -> None:
        self.process = subprocess.Popen([sys.executable, str(script)], env=env,
                                        cwd=script.parent, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)

    def wait_ready(self, seconds: float = 60) -> re.Match[str]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                if self.process.poll() is not None:
                    break
                continue
            self.seen.append(line)
            found = READY.search(line)
            if found:
                return found
        raise AssertionError(f"serve did not announce itself: {''.join(self.seen)}")

    def kill(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.reader.join(10)
        assert self.process.stdout is not None
        self.process.stdout.close()


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "served.py"
    path.write_text(SCRIPT)
    return path


def run_greeter(url: str, marker: Path) -> dict[str, object]:
    with httpx.Client(base_url=url, timeout=10) as api:
        deployments = {d["name"]: d for d in api.get("/deployments").json()["items"]}
        assert set(deployments) == {"greeter", "idle"}
        greeter = deployments["greeter"]
        assert (greeter["work_queue"], greeter["tags"]) == ("serve", ["demo"])
        created = api.post(f"/deployments/{greeter['id']}/runs",
                           json={"parameters": {"marker": str(marker)}})
        assert created.status_code in (200, 201), created.text
        run_id = created.json()["id"]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            run: dict[str, object] = api.get(f"/flow-runs/{run_id}").json()
            if run["state"] in ("COMPLETED", "FAILED", "CRASHED"):
                return run
            time.sleep(0.1)
    raise AssertionError(f"flow run {run_id} did not finish")


def stop(served: Served) -> int:
    served.process.send_signal(signal.SIGTERM)
    return served.process.wait(timeout=30)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


def test_serve_without_a_server_starts_an_embedded_one_and_runs_its_flows(
    script: Path, home: Path, tmp_path: Path
) -> None:
    env = {**Legato(home).env(), "LEGATO_API_URL": ""}
    served = Served(script, env)
    try:
        url = served.wait_ready().group("url")
        assert url.startswith("http://127.0.0.1:")
        marker = tmp_path / "greeted"
        run = run_greeter(url, marker)
        assert run["state"] == "COMPLETED", run
        assert marker.read_text() == "hello Ada"
        assert stop(served) == 0
    finally:
        served.kill()
    assert (home / "legato.db").exists(), "the embedded server did not use LEGATO_HOME"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    server_home = tmp_path / "server-home"
    server_home.mkdir()
    port = free_port()
    process = subprocess.Popen([str(LEGATO), "server", "--port", str(port), "--no-worker"],
                               env=Legato(server_home).env(), cwd=tmp_path,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
    started = ServerProcess(process, f"http://127.0.0.1:{port}/api/v1")
    try:
        wait_until_healthy(started)
        yield started
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def test_serve_against_a_running_server_executes_runs_the_server_creates(
    script: Path, home: Path, tmp_path: Path, server: ServerProcess
) -> None:
    served = Served(script, {**Legato(home).env(), "LEGATO_API_URL": server.url})
    try:
        assert served.wait_ready().group("url") == server.url
        marker = tmp_path / "greeted"
        run = run_greeter(server.url, marker)
        assert run["state"] == "COMPLETED", run
        assert marker.read_text() == "hello Ada"
        assert stop(served) == 0
    finally:
        served.kill()
    assert not (home / "legato.db").exists(), "serve wrote to a local database"
