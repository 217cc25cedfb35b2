"""`legato deploy`, `legato deployments ...`, `legato backfill` and `Flow.deploy` against a
real API server in a thread (uvicorn on an ephemeral port over a SQLite LocalBackend)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner, Result

from legato.cli.main import cli
from legato.client.deployments import DeploymentsClient
from legato.client.http import HttpBackend
from legato.core.workers import WorkerRecord
from legato.errors import DefinitionError
from legato.orchestration.local import create_local_backend
from legato.schemas.deployments import DeploymentModel
from legato.sdk import runtime
from legato.serving import serve
from legato.settings import Settings

from .live_server import ServerThread

REPO = Path(__file__).resolve().parents[2]
HELLO = f"{REPO / 'examples' / 'hello.py'}:hello"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerThread]:
    backend = create_local_backend(Settings.from_env({"LEGATO_HOME": str(tmp_path)}))
    started = ServerThread(backend)
    started.start()
    yield started
    started.stop()
    backend.close()


def legato(server: ServerThread, *args: str, status: int = 0) -> Result:
    result = CliRunner().invoke(cli, [*args, "--api-url", server.url])
    assert result.exit_code == status, (result.output, result.exception)
    return result


def as_json(server: ServerThread, *args: str) -> Any:
    return orjson.loads(legato(server, *args, "--json").output)


def test_deploy_with_a_cron_schedule_then_list_show_and_redeploy(server: ServerThread) -> None:
    out = legato(server, "deploy", HELLO, "--name", "hourly", "--cron", "0 * * * *",
                 "--timezone", "Europe/Berlin", "-p", "name=3", "--tag", "demo", "--queue", "q1")
    assert "deployment hello/hourly created" in out.output
    assert "cron '0 * * * *' (Europe/Berlin)" in out.output
    [listed] = as_json(server, "deployments", "ls")
    assert listed["parameters"] == {"name": "3"}, "a str parameter keeps -p text as text"
    assert (listed["work_queue"], listed["tags"]) == ("q1", ["demo"])
    shown = legato(server, "deployments", "show", "hello/hourly").output
    assert "deployment hello/hourly" in shown and "Europe/Berlin" in shown
    again = legato(server, "deploy", HELLO, "--name", "hourly", "--interval", "300")
    assert "deployment hello/hourly updated" in again.output
    [updated] = as_json(server, "deployments", "ls")
    assert updated["id"] == listed["id"] and updated["schedules"][0]["interval"] == 300


def test_a_bad_default_parameter_is_exit_2_before_anything_is_sent(
    server: ServerThread,
) -> None:
    result = legato(server, "deploy", HELLO, "--name", "x", "-p", "missing=1", status=2)
    assert "missing" in result.output and len(result.output.strip().splitlines()) == 1
    assert as_json(server, "deployments", "ls") == []


def test_a_bad_cron_is_exit_2_naming_the_field(server: ServerThread) -> None:
    result = legato(server, "deploy", HELLO, "--name", "x", "--cron", "61 * * * *", status=2)
    assert "schedules.0.cron: cron expression '61 * * * *' is invalid" in result.output


def test_a_bad_deployment_name_is_exit_2_with_the_fix(server: ServerThread) -> None:
    result = legato(server, "deploy", HELLO, "--name", "a/b", status=2)
    assert "no '/' or control characters; use a name like 'nightly'" in result.output


def test_run_pause_resume_backfill_and_delete(server: ServerThread) -> None:
    legato(server, "deploy", HELLO, "--name", "hourly", "--cron", "@hourly")
    run = as_json(server, "deployments", "run", "hello/hourly", "-p", "name=Ada")
    assert (run["state"], run["parameters"]) == ("SCHEDULED", {"name": "Ada"})
    assert as_json(server, "deployments", "pause", "hello/hourly")["paused"] is True
    assert "is active" in legato(server, "deployments", "resume", "hello/hourly").output
    filled = as_json(server, "backfill", "hello/hourly", "--start", "2026-01-01",
                     "--end", "2026-01-01T05:00:00")
    assert filled["created"] == 5
    assert as_json(server, "backfill", "hello/hourly", "--start", "2026-01-01",
                   "--end", "2026-01-01T05:00:00")["created"] == 0
    shown = as_json(server, "deployments", "show", "hello/hourly")
    assert len(shown["runs"]) == 6
    legato(server, "deployments", "delete", shown["deployment"]["id"])
    missing = legato(server, "deployments", "show", "hello/hourly", status=2)
    assert "has no deployment named 'hourly'" in missing.output


def test_run_keeps_text_for_str_parameters_and_refuses_unknown_ones(server: ServerThread) -> None:
    legato(server, "deploy", HELLO, "--name", "manual")
    run = as_json(server, "deployments", "run", "hello/manual", "-p", "name=42")
    assert run["parameters"] == {"name": "42"}
    refused = legato(server, "deployments", "run", "hello/manual", "-p", "nope=1", status=2)
    assert "nope" in refused.output
    [only] = as_json(server, "deployments", "show", "hello/manual")["runs"]
    assert only["id"] == run["id"]


def test_backfill_refuses_a_bad_time(server: ServerThread) -> None:
    result = legato(server, "backfill", "hello/x", "--start", "yesterday", "--end", "now",
                    status=2)
    assert "not an ISO 8601 time" in result.output


def test_deploy_a_project_file(server: ServerThread, tmp_path: Path) -> None:
    project = tmp_path / "legato.yaml"
    project.write_text(
        "deployments:\n"
        f"  - entrypoint: {REPO / 'examples' / 'hello.py'}:hello\n"
        "    name: nightly\n"
        "    cron: '0 2 * * *'\n"
        "    parameters: {name: Ada}\n"
        "  - entrypoint: " + str(REPO / "examples" / "etl.py") + ":etl\n"
        "    name: every-5m\n"
        "    interval: 300\n"
        "    paused: true\n"
    )
    deployed = as_json(server, "deploy", "--file", str(project))
    assert [(d["flow_name"], d["name"], d["paused"]) for d in deployed] == [
        ("hello", "nightly", False), ("etl", "every-5m", True)
    ]


def test_a_bad_project_file_names_file_line_and_column(
    server: ServerThread, tmp_path: Path
) -> None:
    project = tmp_path / "legato.yaml"
    project.write_text("deployments:\n  - entrypoint: x.py:f\n    name: a\n    cronn: '* * * * *'\n")
    result = legato(server, "deploy", "--file", str(project), status=2)
    assert f"{project}:2:5: unknown keys ['cronn']" in result.output


def test_an_unreachable_server_is_exit_1_with_one_line() -> None:
    result = CliRunner().invoke(cli, ["deployments", "ls", "--api-url", "http://127.0.0.1:9"])
    assert result.exit_code == 1 and "cannot reach the Legato API" in result.output


def test_flow_deploy_from_python(server: ServerThread) -> None:
    hello = runtime.load_flow(HELLO)
    deployment = hello.deploy("py", interval=60, parameters={"name": "Ada"}, tags=["x"],
                              api_url=server.url)
    assert (deployment.name, deployment.parameters, deployment.tags) == ("py", {"name": "Ada"},
                                                                         ("x",))


def test_deploy_sets_crash_retries_and_redeploying_without_resets_them(
    server: ServerThread,
) -> None:
    legato(server, "deploy", HELLO, "--name", "sturdy", "--crash-retries", "3")
    [deployment] = as_json(server, "deployments", "ls")
    assert deployment["crash_retries"] == 3
    legato(server, "deploy", HELLO, "--name", "sturdy")
    [deployment] = as_json(server, "deployments", "ls")
    assert deployment["crash_retries"] == 0
    bad = legato(server, "deploy", HELLO, "--name", "x", "--crash-retries", "-1", status=2)
    assert "crash-retries" in bad.output


def test_a_deployment_may_leave_required_parameters_to_each_run(
    server: ServerThread, tmp_path: Path
) -> None:
    flows = tmp_path / "needs.py"
    flows.write_text("from legato import flow\n\n@flow\ndef needs(n: int, label: str = 'x') -> int:\n"
                     "    return n\n")
    legato(server, "deploy", f"{flows}:needs", "--name", "open")
    [deployment] = as_json(server, "deployments", "ls")
    assert deployment["parameters"] == {}
    missing = legato(server, "deployments", "run", "needs/open", status=2)
    assert "n" in missing.output and "required" in missing.output
    run = as_json(server, "deployments", "run", "needs/open", "-p", "n=3")
    assert run["parameters"] == {"n": 3}


def test_flow_deploy_takes_the_concurrency_queue_and_trigger_options(
    server: ServerThread,
) -> None:
    hello = runtime.load_flow(HELLO)
    deployment = hello.deploy(
        "bounded", work_queue="etl", priority=7, concurrency_limit=2, run_timeout_seconds=90,
        crash_retries=1, description="nightly load", triggers=[{"event": "orders.loaded"}],
        api_url=server.url)
    assert (deployment.work_queue, deployment.priority, deployment.max_active_runs,
            deployment.run_timeout_seconds, deployment.crash_retries,
            deployment.description) == ("etl", 7, 2, 90, 1, "nightly load")
    with DeploymentsClient(server.url) as client:
        [trigger] = client.list_triggers(deployment.id)
    assert trigger.trigger["event"] == "orders.loaded"


def test_serve_deploys_each_targets_queue_triggers_and_limits(server: ServerThread) -> None:
    hello = runtime.load_flow(HELLO)
    stop = threading.Event()
    served: list[DeploymentModel] = []
    workers: list[WorkerRecord] = []

    def stop_once_registered() -> None:
        backend = HttpBackend(server.url)
        try:
            for _ in range(600):  # the worker registers at its first claim
                workers.extend(backend.list_workers())
                if workers or stop.wait(0.05):
                    break
        finally:
            backend.close()
            stop.set()

    def ready(url: str, deployments: list[DeploymentModel]) -> None:
        served.extend(deployments)
        threading.Thread(target=stop_once_registered, daemon=True).start()

    target = hello.to_deployment(
        "limited", work_queue="etl", priority=-3, max_active_runs=1, run_timeout_seconds=30,
        tags=["db"], triggers=[{"flow": "upstream"}])
    serve(target, hello.to_deployment("plain"), api_url=server.url, stop=stop, on_ready=ready)
    limited, plain = served
    assert (limited.work_queue, limited.priority, limited.max_active_runs,
            limited.run_timeout_seconds, limited.tags) == ("etl", -3, 1, 30, ("db",))
    assert (plain.work_queue, plain.priority, plain.max_active_runs) == ("serve", 0, None)
    with DeploymentsClient(server.url) as client:
        assert [t.trigger["flow"] for t in client.list_triggers(limited.id)] == ["upstream"]
        assert client.list_triggers(plain.id) == []
    assert [worker.queues for worker in workers] == [("etl", "serve")]


def test_deployment_options_that_contradict_each_other_are_refused_before_sending() -> None:
    hello = runtime.load_flow(HELLO)
    with pytest.raises(DefinitionError, match="give one of them"):
        hello.to_deployment("x", max_active_runs=1, concurrency_limit=2)
    with pytest.raises(DefinitionError, match="list of triggers"):
        hello.to_deployment("x", triggers={"flow": "etl"})  # type: ignore[dict-item]
    with pytest.raises(DefinitionError, match="as a dict"):
        hello.deploy("x", triggers=["flow=etl"], api_url="http://127.0.0.1:9")  # type: ignore[list-item]
