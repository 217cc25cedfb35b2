"""`legato work-queues ...`, `legato concurrency-limits ...`, `legato deploy` with
priority, max active runs and timeout, and `legato deployments run --priority`, against a
real API server in a thread (uvicorn on an ephemeral port over a SQLite LocalBackend)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner, Result

from legato.cli.main import cli
from legato.orchestration.local import LocalBackend, create_local_backend
from legato.sdk import runtime
from legato.settings import Settings

from .live_server import ServerThread

REPO = Path(__file__).resolve().parents[2]
HELLO = f"{REPO / 'examples' / 'hello.py'}:hello"


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[LocalBackend]:
    local = create_local_backend(Settings.from_env({"LEGATO_HOME": str(tmp_path)}))
    yield local
    local.close()


@pytest.fixture
def server(backend: LocalBackend) -> Iterator[ServerThread]:
    started = ServerThread(backend)
    started.start()
    yield started
    started.stop()


def legato(server: ServerThread, *args: str, status: int = 0) -> Result:
    result = CliRunner().invoke(cli, [*args, "--api-url", server.url])
    assert result.exit_code == status, (result.output, result.exception)
    return result


def as_json(server: ServerThread, *args: str) -> Any:
    return orjson.loads(legato(server, *args, "--json").output)


def test_work_queues_create_set_pause_resume_and_list(server: ServerThread) -> None:
    out = legato(server, "work-queues", "create", "etl", "--priority", "10", "--limit", "4")
    assert "work queue etl: priority 10, limit 4, active" in out.output
    assert "limit 2" in legato(server, "work-queues", "set", "etl", "--limit", "2").output
    assert "no limit" in legato(server, "work-queues", "set", "etl", "--no-limit").output
    assert "paused" in legato(server, "work-queues", "pause", "etl").output
    implicit = as_json(server, "work-queues", "pause", "bulk")
    assert (implicit["name"], implicit["paused"]) == ("bulk", True)
    assert "active" in legato(server, "work-queues", "resume", "bulk").output
    listed = as_json(server, "work-queues", "ls")
    assert [(q["name"], q["priority"], q["paused"]) for q in listed] == [
        ("etl", 10, True), ("bulk", 0, False)]
    table = legato(server, "work-queues", "ls").output
    assert "etl" in table and "paused" in table


def test_work_queue_mistakes_are_one_line_errors(server: ServerThread) -> None:
    legato(server, "work-queues", "create", "etl")
    again = legato(server, "work-queues", "create", "etl", status=2)
    assert "work-queues set" in again.output and len(again.output.strip().splitlines()) == 1
    missing = legato(server, "work-queues", "set", "nope", "--priority", "1", status=2)
    assert "work-queues create" in missing.output
    assert legato(server, "work-queues", "set", "etl", status=2).exit_code == 2


def test_concurrency_limits_create_show_list_and_delete(
    server: ServerThread, backend: LocalBackend
) -> None:
    assert "0 of 2 slots" in legato(server, "concurrency-limits", "create", "db", "2").output
    legato(server, "deploy", HELLO, "--name", "capped", "--tag", "db", "--priority", "3",
           "--max-active-runs", "1", "--timeout", "90")
    [deployment] = as_json(server, "deployments", "ls")
    assert (deployment["priority"], deployment["max_active_runs"],
            deployment["run_timeout_seconds"]) == (3, 1, 90.0)
    run = as_json(server, "deployments", "run", "hello/capped", "--priority", "7")
    worker_id = backend.register_worker("w1", ["default"]).id
    (claim,) = backend.claim_flow_runs(worker_id, ["default"], 5, lease_seconds=30)
    assert claim.flow_run.id == run["id"]
    shown = as_json(server, "concurrency-limits", "show", "db")
    assert (shown["in_use"], [h["flow_run_id"] for h in shown["holders"]]) == (1, [run["id"]])
    assert run["id"] in legato(server, "concurrency-limits", "show", "db").output
    legato(server, "concurrency-limits", "create", "*", "5")
    listed = as_json(server, "concurrency-limits", "ls")
    assert [(x["tag"], x["in_use"], x["limit"]) for x in listed] == [("*", 1, 5), ("db", 1, 2)]
    assert "* (every run)" in legato(server, "concurrency-limits", "ls").output
    assert "deleted" in legato(server, "concurrency-limits", "delete", "db").output
    gone = legato(server, "concurrency-limits", "delete", "db", status=2)
    assert "concurrency-limits ls" in gone.output


def test_flow_deploy_from_python_sets_priority_limit_and_timeout(server: ServerThread) -> None:
    hello = runtime.load_flow(HELLO)
    deployment = hello.deploy("py", priority=-2, max_active_runs=3, run_timeout_seconds=1.5,
                              api_url=server.url)
    assert (deployment.priority, deployment.max_active_runs,
            deployment.run_timeout_seconds) == (-2, 3, 1.5)
