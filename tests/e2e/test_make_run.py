"""`make run`'s script end to end: scripts/run.sh with a temp LEGATO_HOME and a free port
(LEGATO_SERVER_PORT) serves, deploys the examples against itself, and stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx

from .cli import LEGATO, REPO, Legato
from .test_server import free_port

EXPECTED = {("hello", "every-5-minutes"), ("etl", "hourly"), ("retries", "on-demand")}


def deployments(api: str) -> set[tuple[str, str]]:
    try:
        response = httpx.get(f"{api}/deployments", timeout=1)
    except httpx.TransportError:
        return set()
    if response.status_code != 200:
        return set()
    return {(d["flow_name"], d["name"]) for d in response.json()["items"]}


def test_run_script_serves_the_example_deployments_and_stops_on_sigterm(tmp_path: Path) -> None:
    home = tmp_path / "home"
    port = free_port()
    env = {**Legato(home).env(), "LEGATO_SERVER_PORT": str(port), "BIN": str(LEGATO.parent)}
    api = f"http://127.0.0.1:{port}/api/v1"
    with open(tmp_path / "run.out", "wb") as out:
        process = subprocess.Popen([str(REPO / "scripts" / "run.sh")], env=env, cwd=tmp_path,
                                   stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while deployments(api) != EXPECTED:
            output = (tmp_path / "run.out").read_text()
            assert process.poll() is None, output
            assert time.monotonic() < deadline, f"no example deployments at {api}:\n{output}"
            time.sleep(0.2)
        while "Ctrl-C stops it" not in (tmp_path / "run.out").read_text():
            assert time.monotonic() < deadline, (tmp_path / "run.out").read_text()
            time.sleep(0.1)
        os.killpg(process.pid, signal.SIGTERM)
        assert process.wait(timeout=10) == 0, (tmp_path / "run.out").read_text()
    finally:
        try:  # the script, the server and any run it started share the process group
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=10)
    output = (tmp_path / "run.out").read_text()
    assert f"Legato API serving at {api}" in output
    assert (home / "legato.db").exists()
