"""The `legato` executable end to end: running the examples, reading runs back, resuming a
failed run without re-executing completed tasks, and usage errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from .cli import Legato, describe, example


def test_run_hello_prints_the_outcome_as_json(legato: Legato) -> None:
    payload = legato.json("run", example("hello.py", "hello"), "-p", "name=e2e")
    assert payload["state"] == "COMPLETED"
    assert payload["flow_name"] == "hello"
    assert payload["result"] == "Hello, e2e!"
    assert isinstance(payload["flow_run_id"], str)


def test_finished_run_is_listed_shown_and_has_its_logs(legato: Legato) -> None:
    run_id = legato.json("run", example("hello.py", "hello"), "-p", "name=logs")["flow_run_id"]

    listed = legato.json("runs", "ls")
    assert [(run["id"], run["state"]) for run in listed] == [(run_id, "COMPLETED")]
    assert legato.json("runs", "ls", "--flow", "other") == []

    shown = legato.json("runs", "show", run_id)
    assert shown["flow_run"]["parameters"] == {"name": "logs"}
    assert [(task["task_key"], task["state"]) for task in shown["task_runs"]] == [
        ("greet-0", "COMPLETED")
    ]
    assert shown["state_history"][-1]["to_state"] == "COMPLETED"

    logs = legato("runs", "logs", run_id)
    assert logs.returncode == 0, describe(logs)
    assert "greeting: Hello, logs!" in logs.stdout


def test_run_without_json_prints_run_id_state_and_result(legato: Legato) -> None:
    completed = legato("run", example("etl.py", "etl"), "-p", "n=20", "-p", "factor=2")
    assert completed.returncode == 0, describe(completed)
    assert "finished in state COMPLETED" in completed.stdout
    assert f"result: {2 * sum(i * i for i in range(20))}" in completed.stdout


def test_mapped_tasks_get_indexed_task_keys(legato: Legato) -> None:
    payload = legato.json("run", example("etl.py", "etl"), "-p", "n=3")
    assert payload["result"] == 0 + 1 + 4
    shown = legato.json("runs", "show", payload["flow_run_id"])
    keys = {task["task_key"] for task in shown["task_runs"]}
    assert {"transform-0[0]", "transform-0[1]", "transform-0[2]"} <= keys


def test_task_retries_within_one_run(legato: Legato, tmp_path: Path) -> None:
    workdir = tmp_path / "retries"
    payload = legato.json("run", example("retries.py", "retries"), "-p", f"workdir={workdir}")
    assert payload["state"] == "COMPLETED"
    assert payload["result"] == "a:data,b:data,c:data"
    shown = legato.json("runs", "show", payload["flow_run_id"])
    attempts = {t["task_key"]: t["attempts"] for t in shown["task_runs"]}
    assert attempts["flaky_fetch-0"] == 2


def test_retry_resumes_a_failed_run_without_rerunning_completed_tasks(
    legato: Legato, tmp_path: Path
) -> None:
    workdir = tmp_path / "resume"
    extract_log = workdir / "extract.log"

    first = legato.json("run", example("resume.py", "resume"), "-p", f"workdir={workdir}", status=1)
    assert first["state"] == "FAILED"
    assert first["result"] is None
    assert extract_log.read_text().splitlines() == ["extract ran"]
    assert [run["state"] for run in legato.json("runs", "ls", "--state", "FAILED")] == ["FAILED"]

    retried = legato.json("runs", "retry", first["flow_run_id"])
    assert retried["flow_run_id"] == first["flow_run_id"]
    assert retried["state"] == "COMPLETED"
    assert retried["result"] == 6
    assert extract_log.read_text().splitlines() == ["extract ran"]

    logs = legato("runs", "logs", first["flow_run_id"])
    assert "published 3 rows" in logs.stdout


def test_retry_of_a_completed_run_is_refused(sqlite_legato: Legato) -> None:
    run_id = sqlite_legato.json("run", example("hello.py", "hello"))["flow_run_id"]
    completed = sqlite_legato("runs", "retry", run_id)
    assert completed.returncode == 2, describe(completed)
    assert completed.stderr.startswith("Error: ")


@pytest.mark.parametrize(
    ("args", "mentions"),
    [
        (["run", "no/such/file.py:hello"], "file.py"),
        (["run", example("hello.py", "nope")], "nope"),
        (["run", example("hello.py", "hello"), "-p", "name"], "KEY=VALUE"),
        (["run", example("etl.py", "etl"), "-p", "n=many"], "n"),
        (["runs", "show", "no-such-run"], "no-such-run"),
        (["runs", "logs", "no-such-run"], "no-such-run"),
        (["runs", "retry", "no-such-run"], "no-such-run"),
    ],
)
def test_usage_errors_exit_2_with_one_line_and_no_traceback(
    sqlite_legato: Legato, args: list[str], mentions: str
) -> None:
    completed = sqlite_legato(*args)
    assert completed.returncode == 2, describe(completed)
    assert mentions in completed.stderr
    assert "Traceback" not in completed.stderr
    assert completed.stderr.strip().splitlines()[-1].startswith("Error:")
