"""`legato runs cancel` and `legato runs logs --follow` over a fake backend: state changes,
exit statuses, and following new lines until the run is final without sleeping."""

from __future__ import annotations

import orjson
import pytest
from click.testing import CliRunner

from legato.cli import runs as runs_module
from legato.cli.main import cli
from legato.core.cancel import CANCEL_REASON
from legato.core.states import StateType

from .fakes import FakeBackend, flow_run


@pytest.mark.parametrize(
    ("state", "expected"),
    [(StateType.SCHEDULED, StateType.CANCELLED), (StateType.RUNNING, StateType.CANCELLING)],
)
def test_cancel_ends_a_scheduled_run_and_asks_a_running_one_to_stop(
    runner: CliRunner, backend: FakeBackend, state: StateType, expected: StateType
) -> None:
    backend.add(flow_run("run-1", state=state))
    result = runner.invoke(cli, ["runs", "cancel", "run-1", "--json"])
    assert result.exit_code == 0, result.output
    document = orjson.loads(result.stdout)
    assert (document["state"], document["state_message"]) == (expected.value, CANCEL_REASON)
    assert backend.runs["run-1"].state is expected


def test_cancel_of_a_finished_run_exits_1_with_one_line(
    runner: CliRunner, backend: FakeBackend
) -> None:
    backend.add(flow_run("run-1", state=StateType.COMPLETED))
    result = runner.invoke(cli, ["runs", "cancel", "run-1"])
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert "already COMPLETED and cannot be cancelled" in result.stderr
    assert backend.runs["run-1"].state is StateType.COMPLETED


def test_cancel_of_an_unknown_run_exits_2(runner: CliRunner, backend: FakeBackend) -> None:
    result = runner.invoke(cli, ["runs", "cancel", "nope"])
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_logs_follow_prints_new_lines_until_the_run_is_final(
    runner: CliRunner, backend: FakeBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend.add(flow_run("run-1", state=StateType.RUNNING))
    backend.add_log("run-1", "line 1")
    sleeps: list[float] = []

    def poll(seconds: float) -> None:
        sleeps.append(seconds)
        backend.add_log("run-1", f"line {len(sleeps) + 1}")
        if len(sleeps) == 2:  # final after two polls, with one more line written at the end
            backend.add_log("run-1", "last line")
            backend.runs["run-1"] = flow_run("run-1", state=StateType.COMPLETED)

    monkeypatch.setattr(runs_module, "follow_sleep", poll)
    result = runner.invoke(cli, ["runs", "logs", "run-1", "--follow"])
    assert result.exit_code == 0, result.output
    messages = [line.split(" | ", 1)[1] for line in result.stdout.splitlines()]
    assert messages == ["line 1", "line 2", "line 3", "last line"]
    assert sleeps == [0.5, 0.5]


def test_logs_follow_json_prints_one_object_a_line(
    runner: CliRunner, backend: FakeBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend.add(flow_run("run-1", state=StateType.COMPLETED))
    backend.add_log("run-1", "a")
    backend.add_log("run-1", "b")
    monkeypatch.setattr(runs_module, "follow_sleep", pytest.fail)
    result = runner.invoke(cli, ["runs", "logs", "run-1", "--follow", "--json"])
    assert result.exit_code == 0, result.output
    assert [orjson.loads(line)["message"] for line in result.stdout.splitlines()] == ["a", "b"]


def test_logs_follow_of_an_unknown_run_exits_2(runner: CliRunner, backend: FakeBackend) -> None:
    result = runner.invoke(cli, ["runs", "logs", "nope", "--follow"])
    assert result.exit_code == 2

