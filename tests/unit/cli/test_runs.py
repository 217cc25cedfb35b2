"""`legato runs ls|show|logs|retry` over a fake backend: listings, JSON documents and errors
for unknown runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import pytest
from click.testing import CliRunner

from legato.cli.main import cli
from legato.core.states import StateType
from legato.errors import Conflict
from legato.sdk import runtime

from .fakes import FakeBackend, FakeState, flow_run, task_run


@pytest.fixture
def stored(backend: FakeBackend) -> FakeBackend:
    backend.add(flow_run("run-1", "hello"), task_run("greet-0"))
    backend.add(
        flow_run("run-2", "etl", StateType.FAILED),
        task_run("extract-0"),
        task_run("load-0", StateType.FAILED),
    )
    backend.add_log("run-2", "extracted 3 rows", task_run_id="tr-extract-0")
    backend.add_log("run-2", "loading")
    return backend


def test_ls_lists_runs_newest_first(runner: CliRunner, stored: FakeBackend) -> None:
    result = runner.invoke(cli, ["runs", "ls"])
    assert result.exit_code == 0, result.output
    assert result.stdout.index("run-2") < result.stdout.index("run-1")
    assert "FAILED" in result.stdout


def test_ls_json_filters_by_flow_and_state(runner: CliRunner, stored: FakeBackend) -> None:
    result = runner.invoke(cli, ["runs", "ls", "--flow", "etl", "--state", "failed", "--json"])
    assert result.exit_code == 0, result.output
    runs = orjson.loads(result.stdout)
    assert [(run["id"], run["state"], run["duration"]) for run in runs] == [
        ("run-2", "FAILED", 2.0)
    ]


def test_ls_rejects_an_unknown_state(runner: CliRunner, stored: FakeBackend) -> None:
    result = runner.invoke(cli, ["runs", "ls", "--state", "DONE"])
    assert result.exit_code == 2
    assert "DONE" in result.stderr


def test_ls_says_so_when_there_are_no_runs(runner: CliRunner, backend: FakeBackend) -> None:
    result = runner.invoke(cli, ["runs", "ls"])
    assert result.exit_code == 0
    assert result.stdout == "no flow runs\n"


def test_show_prints_task_runs_and_state_history(runner: CliRunner, stored: FakeBackend) -> None:
    result = runner.invoke(cli, ["runs", "show", "run-2"])
    assert result.exit_code == 0, result.output
    for text in ("flow run run-2", "extract-0", "load-0", "RUNNING -> COMPLETED", "all done"):
        assert text in result.stdout


def test_show_json_has_run_task_runs_and_history(runner: CliRunner, stored: FakeBackend) -> None:
    result = runner.invoke(cli, ["runs", "show", "run-2", "--json"])
    document = orjson.loads(result.stdout)
    assert document["flow_run"]["id"] == "run-2"
    assert [task["task_key"] for task in document["task_runs"]] == ["extract-0", "load-0"]
    assert [event["to_state"] for event in document["state_history"]] == [
        "PENDING",
        "RUNNING",
        "COMPLETED",
    ]


@pytest.mark.parametrize("command", ["show", "logs", "retry"])
def test_unknown_run_id_is_a_usage_error(
    runner: CliRunner, stored: FakeBackend, command: str
) -> None:
    result = runner.invoke(cli, ["runs", command, "nope"])
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: flow run 'nope' does not exist; list runs with `legato runs ls`.\n"
    )


def test_logs_prints_every_line_of_the_run(runner: CliRunner, stored: FakeBackend) -> None:
    result = runner.invoke(cli, ["runs", "logs", "run-2"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].endswith("INFO     legato.flow_runs | extracted 3 rows")


def test_logs_of_one_task_run_as_json(runner: CliRunner, stored: FakeBackend) -> None:
    result = runner.invoke(cli, ["runs", "logs", "run-2", "--task", "tr-extract-0", "--json"])
    assert [log["message"] for log in orjson.loads(result.stdout)] == ["extracted 3 rows"]


def test_logs_pages_through_long_logs(
    runner: CliRunner, stored: FakeBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("legato.cli.runs.LOG_PAGE", 1)
    for number in range(3):
        stored.add_log("run-1", f"line {number}")
    result = runner.invoke(cli, ["runs", "logs", "run-1", "--json"])
    assert [log["message"] for log in orjson.loads(result.stdout)] == [
        "line 0",
        "line 1",
        "line 2",
    ]


def fake_retry(state: FakeState) -> Callable[..., FakeState]:
    def retry_flow_run(
        flow_run_id: str, *, backend: Any = None, on_start: Callable[[str], None] | None = None
    ) -> FakeState:
        assert on_start is not None
        on_start(flow_run_id)
        return state

    return retry_flow_run


def test_retry_reports_like_run(
    runner: CliRunner, stored: FakeBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = FakeState(StateType.COMPLETED, flow_run_id="run-2", data=6)
    monkeypatch.setattr(runtime, "retry_flow_run", fake_retry(state))
    result = runner.invoke(cli, ["runs", "retry", "run-2", "--json"])
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.stdout) == {
        "flow_run_id": "run-2",
        "flow_name": "etl",
        "state": "COMPLETED",
        "message": None,
        "result": 6,
    }


def test_retry_of_a_run_that_fails_again_exits_1(
    runner: CliRunner, stored: FakeBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = FakeState(StateType.FAILED, flow_run_id="run-2", message="load-0 failed")
    monkeypatch.setattr(runtime, "retry_flow_run", fake_retry(state))
    result = runner.invoke(cli, ["runs", "retry", "run-2"])
    assert result.exit_code == 1
    assert "FAILED" in result.stdout
    assert "message: load-0 failed" in result.stdout


def test_retry_of_a_completed_run_is_a_usage_error(
    runner: CliRunner, stored: FakeBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    def retry_flow_run(flow_run_id: str, **kwargs: Any) -> Any:
        raise Conflict(f"flow run {flow_run_id!r} is COMPLETED; only failed runs can be retried.")

    monkeypatch.setattr(runtime, "retry_flow_run", retry_flow_run)
    result = runner.invoke(cli, ["runs", "retry", "run-1"])
    assert result.exit_code == 2
    assert "is COMPLETED" in result.stderr


def test_show_prints_the_result_or_why_it_cannot_be_read(
    runner: CliRunner, backend: FakeBackend, tmp_path: Any
) -> None:
    from dataclasses import replace

    from legato.core.records import ResultRef

    backend.add(replace(flow_run("run-ok"), result=ResultRef("json", "inline", b'{"rows": 3}')))
    broken = tmp_path / "flow-result.json"
    broken.write_bytes(b"not json")
    backend.add(replace(flow_run("run-bad"), result=ResultRef("json", "store", None, str(broken))))

    good = runner.invoke(cli, ["runs", "show", "run-ok"])
    bad = runner.invoke(cli, ["runs", "show", "run-bad"])

    assert good.exit_code == 0 and "{'rows': 3}" in good.stdout
    assert bad.exit_code == 0, bad.output
    assert "unavailable" in bad.stdout and "corrupt" in bad.stdout
    assert "Traceback" not in bad.output


def test_show_says_a_masked_result_is_hidden_and_shows_only_its_masked_copy(
    runner: CliRunner, backend: FakeBackend
) -> None:
    from dataclasses import replace

    from legato.core.records import ResultRef

    backend.add(replace(flow_run("run-json"),
                        result=ResultRef("masked", "inline", b'{"token":"********"}')))
    backend.add(replace(flow_run("run-pickle"), result=ResultRef("masked", "inline", None)))

    as_json = runner.invoke(cli, ["runs", "show", "run-json"])
    pickled = runner.invoke(cli, ["runs", "show", "run-pickle"])
    document = orjson.loads(runner.invoke(cli, ["runs", "show", "run-json", "--json"]).stdout)

    assert as_json.exit_code == 0, as_json.output
    assert 'result hidden: it contains a secret; masked: {"token":"********"}' in as_json.stdout
    assert pickled.exit_code == 0, pickled.output
    assert "result hidden: it contains a secret" in pickled.stdout
    assert "unavailable" not in pickled.stdout
    assert document["flow_run"]["result"] == {
        "serializer": "masked", "storage": "inline", "path": None,
        "note": "result hidden: it contains a secret"}
