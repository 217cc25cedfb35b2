"""Run logs: get_run_logger() lines are stored with their flow run and task run, print()
is captured with log_prints=True, and a logger outside a run is an error."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from legato import flow, get_run_logger, task
from legato.errors import LegatoError
from legato.testing import InMemoryBackend

from .support import only_flow_run, task_runs


def _messages(backend: InMemoryBackend, **filters: Any) -> list[tuple[str | None, str]]:
    run = only_flow_run(backend)
    return [(log.task_run_id, log.message) for log in backend.read_logs(run.id, **filters)]


def test_flow_and_task_loggers_store_lines_with_their_run_ids(backend: InMemoryBackend) -> None:
    @task
    def work(n: int) -> int:
        get_run_logger().info("working on %d", n)
        return n

    @flow
    def pipeline() -> None:
        get_run_logger().warning("flow says hi")
        work(7)

    pipeline()
    run = only_flow_run(backend)
    logs = backend.read_logs(run.id)
    assert all(log.flow_run_id == run.id for log in logs)
    task_id = task_runs(backend)["work-0"].id
    flow_line = [log for log in logs if log.message == "flow says hi"]
    task_line = [log for log in logs if log.message == "working on 7"]
    assert len(flow_line) == 1 and flow_line[0].task_run_id is None
    assert flow_line[0].level == logging.WARNING
    assert len(task_line) == 1 and task_line[0].task_run_id == task_id
    assert task_line[0].logger == "legato.runs.task"
    assert [m for _, m in _messages(backend, task_run_id=task_id)] == ["working on 7"]


def test_submitted_task_logs_carry_its_task_run_id(backend: InMemoryBackend) -> None:
    @task
    def work(n: int) -> None:
        get_run_logger().info("item %d", n)

    @flow
    def pipeline() -> None:
        work.map([0, 1, 2]).wait()

    pipeline()
    runs = task_runs(backend)
    for i in range(3):
        task_id = runs[f"work-0[{i}]"].id
        assert [m for _, m in _messages(backend, task_run_id=task_id)] == [f"item {i}"]


def test_log_prints_captures_print_into_logs_and_does_not_print(
    backend: InMemoryBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    @task
    def chatty() -> None:
        print("from the task", 1)

    @flow(log_prints=True)
    def pipeline() -> None:
        print("from the flow")
        chatty()

    pipeline()
    out = capsys.readouterr().out
    assert "from the flow" not in out and "from the task" not in out
    messages = _messages(backend)
    task_id = task_runs(backend)["chatty-0"].id
    assert (None, "from the flow") in messages
    assert (task_id, "from the task 1") in messages


def test_print_without_log_prints_goes_to_stdout_and_not_to_logs(
    backend: InMemoryBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    @flow
    def pipeline() -> None:
        print("plain output")

    pipeline()
    assert "plain output" in capsys.readouterr().out
    assert all(m != "plain output" for _, m in _messages(backend))


def test_task_log_prints_false_overrides_the_flow(
    backend: InMemoryBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    @task(log_prints=False)
    def loud() -> None:
        print("task printed")

    @flow(log_prints=True)
    def pipeline() -> None:
        loud()

    pipeline()
    assert "task printed" in capsys.readouterr().out
    assert all(m != "task printed" for _, m in _messages(backend))


def test_failed_attempts_are_logged_on_the_task_run(backend: InMemoryBackend) -> None:
    @task(retries=1)
    def bad() -> None:
        raise ValueError("nope")

    @flow
    def pipeline() -> None:
        bad()

    pipeline(return_state=True)
    task_id = task_runs(backend)["bad-0"].id
    messages = [m for _, m in _messages(backend, task_run_id=task_id)]
    assert messages[0] == "attempt 1 failed: ValueError: nope; retrying in 0 s"
    assert messages[1].startswith("failed after 2 attempt(s): ValueError: nope")


def test_get_run_logger_outside_a_run_raises_legato_error() -> None:
    with pytest.raises(LegatoError, match="outside a flow or task run"):
        get_run_logger()


def test_logs_from_a_task_with_a_timeout_carry_its_task_run_id(backend: InMemoryBackend) -> None:
    # With timeout_seconds a sync task runs on its own thread; the run context must follow.
    @task(timeout_seconds=5)
    def guarded() -> None:
        get_run_logger().info("inside the timeout thread")

    @flow
    def pipeline() -> None:
        guarded()

    pipeline()
    task_id = task_runs(backend)["guarded-0"].id
    assert [m for _, m in _messages(backend, task_run_id=task_id)] == ["inside the timeout thread"]


def test_logs_from_a_flow_with_a_timeout_and_an_async_task(backend: InMemoryBackend) -> None:
    @task
    async def fetch() -> None:
        get_run_logger().info("async task line")

    @flow(timeout_seconds=5)
    def pipeline() -> None:
        get_run_logger().info("flow body on its own thread")
        _ = fetch()  # in a sync flow the async task runs to completion; nothing to await

    pipeline()
    task_id = task_runs(backend)["fetch-0"].id
    messages = _messages(backend)
    assert (None, "flow body on its own thread") in messages
    assert (task_id, "async task line") in messages


def test_logs_from_an_async_task_in_an_async_flow(backend: InMemoryBackend) -> None:
    @task
    async def fetch() -> None:
        get_run_logger().info("awaited task line")

    @flow
    async def pipeline() -> None:
        get_run_logger().info("async flow line")
        await fetch()

    asyncio.run(pipeline())
    task_id = task_runs(backend)["fetch-0"].id
    messages = _messages(backend)
    assert (None, "async flow line") in messages
    assert (task_id, "awaited task line") in messages
