"""`legato run`: parameters reach the runtime, the outcome decides the exit status, and usage
errors are one line on stderr with status 2."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import orjson
import pytest
from click.testing import CliRunner

from legato.cli.main import cli
from legato.core.states import StateType
from legato.errors import BackendUnavailable, DefinitionError, ParameterError, UserCodeError
from legato.sdk import runtime

from .fakes import FakeBackend, FakeState, flow_run


class FakeFlow:
    name = "hello"
    # The JSON schema of the flow's parameters, as Flow.parameters gives it.
    parameters: ClassVar[dict[str, Any]] = {"properties": {"name": {"type": "string"}}}


class Recorder:
    """Stands in for runtime.load_flow and runtime.run_flow and remembers the calls."""

    def __init__(self, state: FakeState, backend: FakeBackend) -> None:
        self.state = state
        self.backend = backend
        self.loaded: list[str] = []
        self.parameters: list[dict[str, Any]] = []

    def load_flow(self, entrypoint: str) -> FakeFlow:
        self.loaded.append(entrypoint)
        return FakeFlow()

    def run_flow(
        self,
        flow: Any,
        parameters: Mapping[str, Any],
        *,
        backend: Any = None,
        on_start: Callable[[str], None] | None = None,
    ) -> FakeState:
        self.parameters.append(dict(parameters))
        self.backend.add(flow_run("run-1", "hello", self.state.type))
        if on_start is not None:
            on_start("run-1")
        print("the flow printed this")
        return self.state


@pytest.fixture
def recorder(backend: FakeBackend, monkeypatch: pytest.MonkeyPatch) -> Recorder:
    fake = Recorder(FakeState(StateType.COMPLETED, data="Hello, world!"), backend)
    monkeypatch.setattr(runtime, "load_flow", fake.load_flow)
    monkeypatch.setattr(runtime, "run_flow", fake.run_flow)
    return fake


def test_run_passes_json_parsed_parameters_to_the_flow(
    runner: CliRunner, recorder: Recorder
) -> None:
    result = runner.invoke(
        cli, ["run", "flows.py:hello", "-p", "n=3", "-p", "xs=[1,2]", "-p", "name=world"]
    )
    assert result.exit_code == 0, result.output
    assert recorder.loaded == ["flows.py:hello"]
    assert recorder.parameters == [{"n": 3, "xs": [1, 2], "name": "world"}]


def test_run_prints_the_run_id_state_and_result(runner: CliRunner, recorder: Recorder) -> None:
    result = runner.invoke(cli, ["run", "flows.py:hello"])
    assert result.exit_code == 0, result.output
    assert "flow run run-1 started" in result.stdout
    assert "flow run run-1 (hello) finished in state COMPLETED" in result.stdout
    assert "result: 'Hello, world!'" in result.stdout


def test_run_json_prints_only_one_json_object_on_stdout(
    runner: CliRunner, recorder: Recorder
) -> None:
    result = runner.invoke(cli, ["run", "flows.py:hello", "--json"])
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.stdout) == {
        "flow_run_id": "run-1",
        "flow_name": "hello",
        "state": "COMPLETED",
        "message": None,
        "result": "Hello, world!",
    }
    assert "the flow printed this" in result.stderr


def test_run_json_reports_a_result_json_cannot_hold_as_its_repr(
    runner: CliRunner, recorder: Recorder
) -> None:
    recorder.state = FakeState(StateType.COMPLETED, data={1, 2})
    result = runner.invoke(cli, ["run", "flows.py:hello", "--json"])
    assert orjson.loads(result.stdout)["result"] == "{1, 2}"


def test_run_masks_a_loaded_secret_in_the_result_and_message_it_prints(
    runner: CliRunner, recorder: Recorder
) -> None:
    from legato.engine.masking import MASK, forget_secrets, register_secret

    register_secret("hunter2-secret")
    try:
        recorder.state = FakeState(StateType.COMPLETED, data=("svc", {"pw": "hunter2-secret"}))
        as_json = runner.invoke(cli, ["run", "flows.py:hello", "--json"])
        as_text = runner.invoke(cli, ["run", "flows.py:hello"])
        recorder.state = FakeState(StateType.FAILED, message="refused hunter2-secret")
        failed = runner.invoke(cli, ["run", "flows.py:hello", "--json"])
    finally:
        forget_secrets()
    assert orjson.loads(as_json.stdout)["result"] == ["svc", {"pw": MASK}]
    assert f"result: ('svc', {{'pw': '{MASK}'}})" in as_text.stdout
    assert orjson.loads(failed.stdout)["message"] == f"refused {MASK}"
    assert "hunter2-secret" not in as_json.stdout + as_text.stdout + failed.stdout


@pytest.mark.parametrize("state", [StateType.FAILED, StateType.CRASHED])
def test_run_exits_1_when_the_run_does_not_complete(
    runner: CliRunner, recorder: Recorder, state: StateType
) -> None:
    recorder.state = FakeState(state, message="task 'load-0' failed: boom")
    result = runner.invoke(cli, ["run", "flows.py:hello", "--json"])
    assert result.exit_code == 1
    payload = orjson.loads(result.stdout)
    assert payload["state"] == state.value
    assert payload["message"] == "task 'load-0' failed: boom"
    assert payload["result"] is None


def test_run_exits_0_for_a_cached_run(runner: CliRunner, recorder: Recorder) -> None:
    recorder.state = FakeState(StateType.CACHED, data=1)
    assert runner.invoke(cli, ["run", "flows.py:hello"]).exit_code == 0


@pytest.mark.parametrize("option", ["n", "=3"])
def test_run_rejects_bad_parameter_syntax_before_loading_the_flow(
    runner: CliRunner, recorder: Recorder, option: str
) -> None:
    result = runner.invoke(cli, ["run", "flows.py:hello", "-p", option])
    assert result.exit_code == 2
    assert "KEY=VALUE" in result.stderr
    assert recorder.loaded == []


@pytest.mark.parametrize(
    "error",
    [
        UserCodeError("file 'missing.py' does not exist; check the path of FILE.py:FLOW."),
        UserCodeError("'flows.py' has no flow named 'nope'; flows in it: hello."),
        DefinitionError("@task 'load' got retries=-1; retries must be >= 0."),
    ],
)
def test_run_reports_load_errors_on_one_line_with_status_2(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, backend: FakeBackend, error: Exception
) -> None:
    def load_flow(entrypoint: str) -> Any:
        raise error

    monkeypatch.setattr(runtime, "load_flow", load_flow)
    result = runner.invoke(cli, ["run", "flows.py:nope"])
    assert result.exit_code == 2
    assert result.stderr == f"Error: {error}\n"
    assert "Traceback" not in result.output


def test_run_reports_invalid_parameters_with_status_2(
    runner: CliRunner, recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    def run_flow(*args: Any, **kwargs: Any) -> Any:
        raise ParameterError(
            "flow 'hello' got invalid parameters: n: expected an integer, got 'x'.",
            [("n", "expected an integer, got 'x'")],
        )

    monkeypatch.setattr(runtime, "run_flow", run_flow)
    result = runner.invoke(cli, ["run", "flows.py:hello", "-p", "n=x"])
    assert result.exit_code == 2
    assert "n: expected an integer" in result.stderr
    assert result.stderr.count("\n") == 1


def test_run_requires_an_entrypoint(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["run"])
    assert result.exit_code == 2
    assert "Missing argument" in result.stderr


def test_run_reports_an_unreachable_database_on_one_line_with_status_1(
    runner: CliRunner, recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    def run_flow(*args: Any, **kwargs: Any) -> Any:
        raise BackendUnavailable("cannot reach the database at sqlite:///x.db; check the URL.")

    monkeypatch.setattr(runtime, "run_flow", run_flow)
    result = runner.invoke(cli, ["run", "flows.py:hello"])
    assert result.exit_code == 1
    assert result.stderr == "Error: cannot reach the database at sqlite:///x.db; check the URL.\n"
