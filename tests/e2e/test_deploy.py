"""Deployments end to end: a `legato server` process with its embedded scheduler, flows
deployed and run and backfilled by other `legato` processes, everything checked over the API,
then SIGTERM. Nobody executes the SCHEDULED runs: that is the workers' part."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from .cli import LEGATO, Legato, describe, example
from .test_server import ServerProcess, free_port, wait_until_healthy


@pytest.fixture
def scheduling_server(tmp_path: Path) -> Iterator[ServerProcess]:
    home = tmp_path / "server-home"
    home.mkdir()
    env = {**Legato(home).env(), "LEGATO_SCHEDULER_INTERVAL": "0.2"}
    port = free_port()
    process = subprocess.Popen(
        [str(LEGATO), "server", "--port", str(port), "--no-worker"],
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


def run_cli(home: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**Legato(home).env(), "LEGATO_API_URL": url}
    return subprocess.run(
        [str(LEGATO), *args], env=env, cwd=home.parent, capture_output=True, text=True,
        timeout=60, check=False,
    )


def ok(completed: subprocess.CompletedProcess[str]) -> Any:
    assert completed.returncode == 0, describe(completed)
    return orjson.loads(completed.stdout) if completed.stdout.startswith(("{", "[")) else None


def test_deploy_run_backfill_and_the_embedded_scheduler(
    scheduling_server: ServerProcess, tmp_path: Path
) -> None:
    home = tmp_path / "client-home"
    home.mkdir()
    url = scheduling_server.url
    hello = example("hello.py", "hello")
    created = run_cli(home, url, "deploy", hello, "--name", "every-minute", "--cron", "* * * * *")
    ok(created)
    assert "deployment hello/every-minute created" in created.stdout
    bad = run_cli(home, url, "deploy", hello, "--name", "bad", "-p", "nope=1")
    assert bad.returncode == 2 and "nope" in bad.stderr and len(bad.stderr.splitlines()) == 1
    ok(run_cli(home, url, "deploy", hello, "--name", "every-second", "--interval", "1"))

    run = ok(run_cli(home, url, "deployments", "run", "hello/every-minute", "-p", "name=Ada",
                     "--json"))
    assert run["state"] == "SCHEDULED" and run["parameters"] == {"name": "Ada"}
    backfill = ok(run_cli(home, url, "backfill", "hello/every-minute", "--start",
                          "2026-01-01T00:00:00Z", "--end", "2026-01-01T00:10:00Z", "--json"))
    assert backfill["created"] == 10
    listed = ok(run_cli(home, url, "deployments", "ls", "--json"))
    assert [d["name"] for d in listed] == ["every-minute", "every-second"]

    with httpx.Client(base_url=url, timeout=10) as api:
        [minute] = api.get("/deployments", params={"flow_name": "hello",
                                                   "name": "every-minute"}).json()["items"]
        assert minute["schedules"][0]["cron"] == "* * * * *"
        assert api.get(f"/flow-versions/{minute['flow_version_id']}").status_code == 200
        runs = api.get(f"/deployments/{minute['id']}/runs", params={"limit": 100}).json()
        manual = [r for r in runs["items"] if not r["is_backfill"] and not r["schedule_id"]]
        assert [r["parameters"] for r in manual] == [{"name": "Ada"}]
        assert sum(r["is_backfill"] for r in runs["items"]) == 10
        assert {r["state"] for r in runs["items"]} == {"SCHEDULED"}
        flow_run = api.get(f"/flow-runs/{run['id']}").json()
        assert (flow_run["flow_name"], flow_run["state"]) == ("hello", "SCHEDULED")

        second = listed[1]["id"]
        deadline = time.monotonic() + 15
        scheduled: list[dict[str, Any]] = []
        while time.monotonic() < deadline and not scheduled:
            items = api.get(f"/deployments/{second}/runs").json()["items"]
            scheduled = [r for r in items if r["schedule_id"]]
            time.sleep(0.1)
        assert scheduled, "the embedded scheduler made no run of the 1-second schedule"
        assert scheduled[0]["state"] == "SCHEDULED"

    assert scheduling_server.stop(timeout=10) == 0
