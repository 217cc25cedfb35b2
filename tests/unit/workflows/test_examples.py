"""Each example in examples/yaml runs to the outcome, outputs and step states it shows."""

from __future__ import annotations

from pathlib import Path

import pytest

from legato.sdk import runtime
from legato.testing import FakeClock

from .conftest import RunYaml


def test_hello_world_prints_the_argument(run_yaml: RunYaml) -> None:
    out = run_yaml("hello-world.yaml", {"message": "hi there"})
    assert out.state.type.value == "COMPLETED"
    assert out.states() == {"hello-world": "COMPLETED"}
    assert "hi there" in out.logs("hello-world")
    assert out.state.result() == {"status": "Succeeded", "outputs": {"parameters": {}}}


def test_steps_run_in_groups_with_node_path_keys(run_yaml: RunYaml) -> None:
    out = run_yaml("steps.yaml")
    assert out.states() == {"steps[0].hello1": "COMPLETED", "steps[1].hello2a": "COMPLETED",
                            "steps[1].hello2b": "COMPLETED"}
    runs = out.task_runs()
    first = runs["steps[0].hello1"]
    for key in ("steps[1].hello2a", "steps[1].hello2b"):
        start = runs[key].start_time
        assert first.end_time is not None and start is not None
        assert first.end_time <= start


def test_dag_diamond_passes_results_downstream(run_yaml: RunYaml) -> None:
    out = run_yaml("dag-diamond.yaml")
    assert set(out.states().values()) == {"COMPLETED"}
    assert out.logs("dag-diamond.D") == ["D after B after A and C"]


def test_loops_fan_out_and_aggregate(run_yaml: RunYaml) -> None:
    out = run_yaml("loops.yaml")
    states = out.states()
    assert states["loops[0].print-items(0:apple)"] == "COMPLETED"
    assert "loops[1].square(2:3)" in states
    assert out.logs("loops[1].count(0:01)") == ["file-01"]
    assert out.logs('loops[0].print-maps(0:{"os":"debian","version":12})') == ["debian 12"]
    assert out.logs("loops[2].total") == ['["1", "4", "9"]']


def test_coinflip_runs_exactly_one_branch(run_yaml: RunYaml) -> None:
    out = run_yaml("coinflip.yaml")
    flip = out.logs("coinflip[0].flip-coin")[0]
    states = out.states()
    assert f"coinflip[1].{flip}" in states
    other = "tails" if flip == "heads" else "heads"
    assert f"coinflip[1].{other}" not in states
    assert out.logs(f"coinflip[1].{flip}") == [f"it was {flip}"]


@pytest.mark.parametrize(("count", "ran"), [("5", "big"), ("2", "small")])
def test_conditionals_follow_parameters(run_yaml: RunYaml, count: str, ran: str) -> None:
    out = run_yaml("conditionals.yaml", {"count": count})
    states = out.states()
    assert f"conditionals[0].{ran}" in states
    assert {"conditionals[0].big", "conditionals[0].small"} - set(states) != set()
    doubled = str(int(count) * 2)
    assert out.logs("conditionals[0].doubled") == [f"{doubled} EU"]


def test_retry_reruns_until_success_with_backoff(run_yaml: RunYaml, clock: FakeClock) -> None:
    out = run_yaml("retry.yaml")
    run = out.task_runs()["retry"]
    assert run.state.value == "COMPLETED"
    assert run.attempts == 3
    assert clock.sleeps[:2] == [1.0, 2.0]
    assert [m for m in out.logs("retry") if m.startswith("attempt ") and "failed" not in m] \
        == ["attempt 0", "attempt 1", "attempt 2"]


def test_exit_handler_sees_the_failed_status(run_yaml: RunYaml) -> None:
    out = run_yaml("exit-handler.yaml")
    assert out.state.type.value == "FAILED"
    states = out.states()
    assert states["exit-handlers"] == "FAILED"
    assert states["exit-handlers.onExit[0].cry"] == "COMPLETED"
    assert "exit-handlers.onExit[0].celebrate" not in states
    assert any("Failed" in line for line in out.logs("exit-handlers.onExit[0].notify"))


def test_outputs_flow_between_steps_and_to_the_workflow(run_yaml: RunYaml) -> None:
    out = run_yaml("outputs.yaml")
    assert out.state.result()["outputs"]["parameters"] == {"greeting": "hello from produce"}
    assert out.logs("outputs[1].consume") == ["HELLO FROM PRODUCE"]
    produce = out.task_runs()["outputs[0].produce"]
    assert produce.result is not None
    stored = runtime.read_result(produce.result)
    assert stored["parameters"] == {"greeting": "hello from produce", "missing": "fallback"}


def test_parameter_aggregation_loops_over_every_iterations_outputs(run_yaml: RunYaml) -> None:
    out = run_yaml("aggregation.yaml")
    assert out.state.type.value == "COMPLETED", out.state.message
    printed = sorted(line for key in out.states() if key.startswith("parameter-aggregation[1].print(")
                     for line in out.logs(key))
    assert printed == ["1 is odd", "2 is even", "3 is odd", "4 is even"]
    assert out.logs("parameter-aggregation[1].evens") == ["2 is even"]


def test_a_succeeded_run_leaves_no_scratch_folder(run_yaml: RunYaml, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEGATO_SCRATCH_DIR", str(tmp_path / "scratch"))
    out = run_yaml("steps.yaml")
    assert out.state.type.value == "COMPLETED"
    assert list((tmp_path / "scratch").iterdir()) == []
