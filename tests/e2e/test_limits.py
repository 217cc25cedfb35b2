"""Limits end to end on the embedded server (its local worker has 4 slots, its monitor
sweeps every 0.5 s): a concurrency limit of 1 on a tag keeps that tag's runs from ever
overlapping, and a deployment's run timeout stops a run that goes on too long, which ends
FAILED "timed out after 2 s" with its process gone and its slot free. On PostgreSQL, two
`legato worker` processes never run more of a deployment's runs at once than its
max_active_runs."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from legato.client.http import HttpBackend
from legato.core.states import StateType as S

from .cli import LEGATO, Legato
from .test_deploy import ok, run_cli
from .test_embedded import wait_for_state
from .test_server import ServerProcess, free_port, wait_until_healthy
from .test_workers import Processes

TIMED = """
import os
import time
from pathlib import Path

from legato import flow


@flow
def timed(log: str = "", seconds: float = 0.5) -> None:
    with open(log, "a") as out:
        out.write(f"start {time.time()} {os.getpid()}\\n")
    time.sleep(seconds)
    with open(log, "a") as out:
        out.write(f"end {time.time()} {os.getpid()}\\n")
"""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    home = tmp_path / "server-home"
    home.mkdir()
    port = free_port()
    env = {**Legato(home).env(), "LEGATO_MONITOR_INTERVAL": "0.5"}
    with open(tmp_path / "server.out", "wb") as out:
        process = subprocess.Popen(
            [str(LEGATO), "server", "--port", str(port), "--worker-limit", "4",
             "--worker-grace-seconds", "1"],
            env=env, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT,
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


def intervals(log: Path) -> list[tuple[float, float]]:
    starts: dict[str, float] = {}
    spans = []
    for line in log.read_text().splitlines():
        kind, moment, pid = line.split()
        if kind == "start":
            starts[pid] = float(moment)
        else:
            spans.append((starts.pop(pid), float(moment)))
    return sorted(spans)


def test_a_tag_limit_of_one_keeps_its_runs_from_overlapping(
    server: ServerProcess, tmp_path: Path
) -> None:
    home = tmp_path / "client-home"
    home.mkdir()
    flows = tmp_path / "timed.py"
    flows.write_text(TIMED)
    log = tmp_path / "runs.log"
    url = server.url
    ok(run_cli(home, url, "concurrency-limits", "create", "db", "1"))
    ok(run_cli(home, url, "deploy", f"{flows}:timed", "--name", "db", "--tag", "db",
               "-p", f"log={log}"))
    runs = [ok(run_cli(home, url, "deployments", "run", "timed/db", "--json"))
            for _ in range(3)]
    api = HttpBackend(url, timeout=10)
    try:
        for run in runs:
            wait_for_state(api, run["id"], S.COMPLETED, tmp_path / "server.out")
    finally:
        api.close()
    spans = intervals(log)
    assert len(spans) == 3, log.read_text()
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert start >= end, f"runs of tag db overlapped: {spans}"
    shown = ok(run_cli(home, url, "concurrency-limits", "show", "db", "--json"))
    assert (shown["in_use"], shown["holders"]) == (0, [])
    assert server.stop(timeout=30) == 0


def test_a_run_past_its_timeout_is_stopped_and_ends_failed(
    server: ServerProcess, tmp_path: Path
) -> None:
    home = tmp_path / "client-home"
    home.mkdir()
    flows = tmp_path / "timed.py"
    flows.write_text(TIMED)
    log = tmp_path / "runs.log"
    url = server.url
    ok(run_cli(home, url, "deploy", f"{flows}:timed", "--name", "slow", "--timeout", "2",
               "-p", f"log={log}", "-p", "seconds=60"))
    run = ok(run_cli(home, url, "deployments", "run", "timed/slow", "--json"))
    api = HttpBackend(url, timeout=10)
    try:
        wait_for_state(api, run["id"], S.RUNNING, tmp_path / "server.out")
        started = time.monotonic()
        deadline = started + 30
        while (current := api.read_flow_run(run["id"])).state is not S.FAILED:
            assert current.state in (S.RUNNING, S.CANCELLING), current
            assert time.monotonic() < deadline, (tmp_path / "server.out").read_text()
            time.sleep(0.1)
        assert time.monotonic() - started < 15
        assert current.state_message == "timed out after 2 s"
        events = [e.to_state for e in api.read_state_events(run["id"])]
        assert events[-2:] == [S.CANCELLING, S.FAILED]
    finally:
        api.close()
    (line,) = log.read_text().splitlines()
    pid = int(line.split()[2])
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert server.stop(timeout=30) == 0


@pytest.mark.postgres
def test_two_workers_never_run_more_than_max_active_runs_at_once(
    tmp_path: Path, postgres_url: str
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    processes = Processes(tmp_path, Legato(home, postgres_url).env())
    try:
        port = free_port()
        process = processes.start("server", "server", "--port", str(port), "--no-worker")
        server = ServerProcess(process, f"http://127.0.0.1:{port}/api/v1")  # type: ignore[arg-type]
        wait_until_healthy(server)
        flows = tmp_path / "timed.py"
        flows.write_text(TIMED)
        log = tmp_path / "runs.log"
        client_home = tmp_path / "client-home"
        client_home.mkdir()
        url = server.url
        ok(run_cli(client_home, url, "work-queues", "create", "etl", "--priority", "5"))
        ok(run_cli(client_home, url, "deploy", f"{flows}:timed", "--name", "capped",
                   "--queue", "etl", "--max-active-runs", "1", "-p", f"log={log}"))
        runs = [ok(run_cli(client_home, url, "deployments", "run", "timed/capped", "--json"))
                for _ in range(4)]
        for name in ("worker-a", "worker-b"):
            processes.start(name, "worker", "--queue", "etl", "--queue", "default", "--limit",
                            "4", "--name", name, "--api-url", url, "--poll-seconds", "0.05")
        api = HttpBackend(url, timeout=10)
        try:
            for run in runs:
                wait_for_state(api, run["id"], S.COMPLETED, tmp_path / "worker-a.out")
        finally:
            api.close()
    finally:
        processes.kill_all()
    spans = intervals(log)
    assert len(spans) == 4, log.read_text()
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert start >= end, f"runs of a max_active_runs=1 deployment overlapped: {spans}"
