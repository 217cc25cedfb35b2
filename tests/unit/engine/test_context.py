"""Cancelling the flow runs of a process from outside (what a worker's cancel signal does):
each stops at its next task boundary and ends CANCELLED; finished runs are not touched."""

from __future__ import annotations

import pytest

from legato import flow, task
from legato.core.states import StateType
from legato.engine.context import cancel_flow_runs
from legato.errors import CancelledRun
from legato.testing import InMemoryBackend

from .support import only_flow_run, task_runs

S = StateType


def test_a_cancelled_flow_run_stops_at_the_next_task_boundary(backend: InMemoryBackend) -> None:
    ran: list[str] = []

    @task
    def step(name: str, cancel: bool = False) -> str:
        ran.append(name)
        if cancel:
            assert cancel_flow_runs() == 1
        return name

    @flow
    def pipeline() -> list[str]:
        return [step("a"), step("b", cancel=True), step("c")]

    outcome = pipeline(return_state=True)
    assert outcome.type is S.CANCELLED
    assert ran == ["a", "b"]
    run = only_flow_run(backend)
    assert run.state is S.CANCELLED
    assert {key: t.state for key, t in task_runs(backend, run.id).items()} == {
        "step-0": S.COMPLETED, "step-1": S.COMPLETED}


def test_no_flow_run_is_asked_once_runs_have_finished(backend: InMemoryBackend) -> None:
    @flow
    def quick() -> int:
        return 1

    assert quick() == 1
    assert cancel_flow_runs() == 0
    assert quick() == 1


def test_cancelled_run_raises_cancelled_run_to_its_caller(backend: InMemoryBackend) -> None:
    @task
    def stop() -> None:
        cancel_flow_runs()

    @task
    def never() -> None:
        raise AssertionError("ran after the cancel")

    @flow
    def pipeline() -> None:
        stop()
        never()

    with pytest.raises(CancelledRun):
        pipeline()
    assert only_flow_run(backend).state is S.CANCELLED
