"""One flow run's lifecycle: states, flow-level retries that reuse finished task runs,
hooks, crashes, timeouts and subflows."""

from __future__ import annotations

import gc
import logging
import threading
from typing import Any, cast

import pytest

from legato import State, flow, task
from legato.core.records import FlowRunRecord, NewFlowRun
from legato.core.states import StateType
from legato.errors import BackendUnavailable, TaskTimeoutError
from legato.testing import FakeClock, InMemoryBackend, legato_test_harness

from .support import history, only_flow_run, task_runs

S = StateType


def test_completed_flow_run_is_stored_with_its_history_and_result(backend: InMemoryBackend) -> None:
    @flow
    def pipeline(n: int) -> dict[str, int]:
        return {"n": n}

    assert pipeline(4) == {"n": 4}
    run = only_flow_run(backend)
    assert run.flow_name == "pipeline"
    assert run.parameters == {"n": 4}
    assert (run.state, run.run_count) == (S.COMPLETED, 1)
    assert run.start_time is not None and run.end_time is not None
    assert history(backend, run.id) == [S.RUNNING, S.COMPLETED]
    assert run.result is not None and run.result.data == b'{"n":4}'


def test_flow_that_raises_ends_failed_and_reraises(backend: InMemoryBackend) -> None:
    @flow
    def pipeline() -> None:
        raise LookupError("flow body broke")

    with pytest.raises(LookupError, match="flow body broke"):
        pipeline()
    run = only_flow_run(backend)
    assert run.state is S.FAILED
    assert run.state_message == "LookupError: flow body broke"


def test_return_state_on_a_flow(backend: InMemoryBackend) -> None:
    @flow
    def good() -> int:
        return 1

    @flow
    def bad() -> int:
        raise ValueError("no")

    ok = good(return_state=True)
    assert ok.is_completed() and ok.result() == 1
    assert ok.flow_run_id == only_flow_run(backend, "good").id
    failed = bad(return_state=True)
    assert failed.is_failed()
    error = failed.result(raise_on_failure=False)
    assert isinstance(error, ValueError)
    with pytest.raises(ValueError, match="no"):
        failed.result()


def test_flow_waits_for_submitted_tasks_it_did_not_wait_for(backend: InMemoryBackend) -> None:
    gate = threading.Event()
    finished: list[str] = []

    @task
    def slow() -> None:
        gate.wait(0.5)
        finished.append("slow")

    @flow
    def pipeline() -> str:
        slow.submit()
        gate.set()
        return "returned first"

    assert pipeline() == "returned first"
    assert finished == ["slow"]
    assert task_runs(backend)["slow-0"].state is S.COMPLETED


# -- flow retries ---------------------------------------------------------------------------


def test_flow_retry_reruns_the_body_but_reuses_completed_tasks(
    backend: InMemoryBackend, clock: FakeClock
) -> None:
    executions: list[str] = []
    bodies: list[int] = []

    @task
    def extract() -> int:
        executions.append("extract")
        return 10

    @task
    def transform(x: int) -> int:
        executions.append("transform")
        if executions.count("transform") == 1:
            raise RuntimeError("transient")
        return x + 1

    @flow(retries=1, retry_delay_seconds=3)
    def pipeline() -> int:
        bodies.append(1)
        return transform(extract())

    assert pipeline() == 11
    assert len(bodies) == 2
    assert executions == ["extract", "transform", "transform"]
    assert clock.sleeps == [3.0]
    run = only_flow_run(backend)
    assert (run.state, run.run_count) == (S.COMPLETED, 2)
    assert history(backend, run.id) == [
        S.RUNNING,
        S.AWAITING_RETRY,
        S.RUNNING,
        S.COMPLETED,
    ]
    runs = task_runs(backend)
    assert sorted(runs) == ["extract-0", "transform-0"]  # same task runs, not new ones
    assert runs["transform-0"].state is S.COMPLETED
    assert runs["extract-0"].attempts == 1


def test_flow_retries_exhausted_end_failed(backend: InMemoryBackend) -> None:
    bodies: list[int] = []

    @flow(retries=2)
    def pipeline() -> None:
        bodies.append(1)
        raise ValueError("always")

    assert pipeline(return_state=True).is_failed()
    assert len(bodies) == 3
    assert history(backend, only_flow_run(backend).id).count(S.AWAITING_RETRY) == 2


# -- hooks -----------------------------------------------------------------------------------


def _recording_hook(seen: list[Any], label: str) -> Any:
    def hook(flow_: Any, run: Any, state: State) -> None:
        seen.append((label, flow_.name, run.id, state.type))

    return hook


def test_flow_on_completion_hook_runs_with_the_final_state(backend: InMemoryBackend) -> None:
    seen: list[Any] = []

    @flow(
        on_completion=[_recording_hook(seen, "completion")],
        on_failure=[_recording_hook(seen, "failure")],
    )
    def pipeline() -> int:
        return 1

    pipeline()
    assert seen == [("completion", "pipeline", only_flow_run(backend).id, S.COMPLETED)]


def test_flow_on_failure_hook_runs_when_the_flow_fails(backend: InMemoryBackend) -> None:
    seen: list[Any] = []

    @flow(
        on_completion=[_recording_hook(seen, "completion")],
        on_failure=[_recording_hook(seen, "failure")],
    )
    def pipeline() -> int:
        raise ValueError("x")

    pipeline(return_state=True)
    assert seen == [("failure", "pipeline", only_flow_run(backend).id, S.FAILED)]


def test_keyboard_interrupt_crashes_the_flow_runs_on_crashed_and_propagates(
    backend: InMemoryBackend,
) -> None:
    seen: list[Any] = []

    @flow(
        on_crashed=[_recording_hook(seen, "crashed")], on_failure=[_recording_hook(seen, "failure")]
    )
    def pipeline() -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        pipeline()
    run = only_flow_run(backend)
    assert run.state is S.CRASHED
    assert "KeyboardInterrupt" in (run.state_message or "")
    assert seen == [("crashed", "pipeline", run.id, S.CRASHED)]


def test_raising_flow_hook_does_not_change_the_flow_state(backend: InMemoryBackend) -> None:
    def broken(*_: Any) -> None:
        raise RuntimeError("hook bug")

    @flow(on_completion=[broken])
    def pipeline() -> str:
        return "fine"

    assert pipeline() == "fine"
    assert only_flow_run(backend).state is S.COMPLETED


# -- timeouts ---------------------------------------------------------------------------------


def test_flow_past_its_timeout_ends_failed(backend: InMemoryBackend) -> None:
    gate = threading.Event()

    @flow(timeout_seconds=0.2)
    def stuck() -> str:
        gate.wait(0.5)
        return "late"

    try:
        state = stuck(return_state=True)
    finally:
        gate.set()
    assert state.is_failed()
    error = state.result(raise_on_failure=False)
    assert isinstance(error, TaskTimeoutError)
    assert "timeout of 0.2 s" in str(error)
    run = only_flow_run(backend)
    assert run.state is S.FAILED
    assert "TaskTimeoutError" in (run.state_message or "")


def test_flow_timeout_still_tracks_tasks_called_in_the_body(backend: InMemoryBackend) -> None:
    @task
    def inner() -> int:
        return 3

    @flow(timeout_seconds=5)
    def pipeline() -> int:
        return inner()

    assert pipeline() == 3
    assert task_runs(backend)["inner-0"].state is S.COMPLETED


# -- subflows -------------------------------------------------------------------------------


def test_subflow_creates_a_child_run_linked_to_a_task_run_in_the_parent(
    backend: InMemoryBackend,
) -> None:
    @flow
    def child(x: int) -> int:
        return x * 10

    @flow
    def parent() -> int:
        return child(2) + 1

    assert parent() == 21
    parent_run = only_flow_run(backend, "parent")
    child_run = only_flow_run(backend, "child")
    assert child_run.parent_flow_run_id == parent_run.id
    assert child_run.state is S.COMPLETED
    assert child_run.parameters == {"x": 2}
    link = task_runs(backend, parent_run.id)["child-0"]
    assert link.child_flow_run_id == child_run.id
    assert child_run.parent_task_run_id == link.id
    assert link.state is S.COMPLETED
    assert backend.list_flow_runs(parent_flow_run_id=parent_run.id) == [child_run]


def test_subflow_tasks_belong_to_the_child_run(backend: InMemoryBackend) -> None:
    @task
    def leaf() -> str:
        return "leaf"

    @flow
    def child() -> str:
        return leaf()

    @flow
    def parent() -> str:
        return child()

    assert parent() == "leaf"
    child_run = only_flow_run(backend, "child")
    assert list(task_runs(backend, child_run.id)) == ["leaf-0"]
    assert list(task_runs(backend, only_flow_run(backend, "parent").id)) == ["child-0"]


def test_failed_subflow_fails_its_task_run_in_the_parent(backend: InMemoryBackend) -> None:
    @flow
    def child() -> None:
        raise ValueError("child broke")

    @flow
    def parent() -> None:
        child()

    state = parent(return_state=True)
    assert state.is_failed()
    assert only_flow_run(backend, "child").state is S.FAILED
    link = task_runs(backend, only_flow_run(backend, "parent").id)["child-0"]
    assert link.state is S.FAILED
    assert "child broke" in (link.state_message or "")


def test_subflow_failure_seen_through_return_state_does_not_fail_the_parent(
    backend: InMemoryBackend,
) -> None:
    @flow
    def child() -> None:
        raise ValueError("child broke")

    @flow
    def parent() -> str:
        state = child(return_state=True)
        return "handled" if state.is_failed() else "?"

    assert parent() == "handled"
    assert only_flow_run(backend, "parent").state is S.COMPLETED
    assert only_flow_run(backend, "child").state is S.FAILED


def test_subflow_exception_caught_by_the_parent_does_not_fail_it(backend: InMemoryBackend) -> None:
    @flow
    def child() -> None:
        raise ValueError("child broke")

    @flow
    def parent() -> str:
        try:
            child()
        except ValueError:
            return "caught"
        return "?"

    assert parent() == "caught"
    assert only_flow_run(backend, "parent").state is S.COMPLETED


class _ChildRunsUnavailable(InMemoryBackend):
    def create_flow_run(self, new: NewFlowRun) -> FlowRunRecord:
        if new.flow_name == "child":
            raise BackendUnavailable("database is down")
        return super().create_flow_run(new)


@pytest.mark.timeout(10)
def test_subflow_that_cannot_start_fails_its_task_run_without_hanging_the_parent() -> None:
    clock = FakeClock()
    backend = _ChildRunsUnavailable(clock)

    @flow
    def child() -> int:
        return 1

    @flow
    def parent() -> int:
        return child()

    with legato_test_harness(backend, clock=clock):
        state = parent(return_state=True)
    assert state.is_failed()
    assert isinstance(state.result(raise_on_failure=False), BackendUnavailable)
    link = task_runs(backend, only_flow_run(backend, "parent").id)["child-0"]
    assert link.state is S.FAILED
    assert link.state_message == "subflow could not start: BackendUnavailable: database is down"


def test_flow_retry_reuses_completed_submitted_and_mapped_tasks(backend: InMemoryBackend) -> None:
    executions: list[str] = []

    @task
    def item(i: int) -> int:
        executions.append(f"item{i}")
        return i

    @task
    def total(values: list[int]) -> int:
        executions.append("total")
        if executions.count("total") == 1:
            raise RuntimeError("transient")
        return sum(values)

    @flow(retries=1)
    def pipeline() -> int:
        first = item.submit(10)
        return cast(int, total.submit([first, *item.map([1, 2, 3])]).result())

    assert pipeline() == 16
    assert sorted(executions) == sorted(["item10", "item1", "item2", "item3", "total", "total"])
    assert len(task_runs(backend)) == 5


def test_flow_failure_hook_runs_once_after_the_last_retry(backend: InMemoryBackend) -> None:
    seen: list[Any] = []

    @flow(retries=2, on_failure=[_recording_hook(seen, "failure")])
    def pipeline() -> None:
        raise ValueError("always")

    pipeline(return_state=True)
    assert [label for label, *_ in seen] == ["failure"]


def test_flow_returning_a_failed_state_ends_failed_with_its_message(
        backend: InMemoryBackend) -> None:
    @task
    def bad() -> None:
        raise ValueError("inner")

    @flow
    def pipeline() -> State:
        return cast(State, bad(return_state=True))

    state = pipeline(return_state=True)
    assert state.is_failed()
    assert state.message == "ValueError: inner"
    assert only_flow_run(backend).state is S.FAILED


def test_flow_returning_a_skipped_state_ends_failed(backend: InMemoryBackend) -> None:
    @task
    def bad() -> int:
        raise ValueError("inner")

    @task
    def dependant(x: int) -> int:
        return x

    @flow
    def pipeline() -> State:
        return cast(State, dependant.submit(bad.submit(), return_state=True))

    state = pipeline(return_state=True)
    assert state.is_failed()
    assert state.message == "not run: upstream task bad-0 ended FAILED"
    run = only_flow_run(backend)
    assert run.state is S.FAILED


def test_each_backend_gets_the_flow_version_its_runs_point_to() -> None:
    # Backends come and go (tests, embedding); a new one may reuse a dead one's id().
    # Log records would keep each backend alive (through the run context), so none are made.
    @flow
    def pipeline() -> None: ...

    logging.disable(logging.CRITICAL)
    try:
        for _ in range(20):
            backend = InMemoryBackend()
            with legato_test_harness(backend):
                pipeline()
            (run,) = backend.list_flow_runs()
            assert run.flow_version_id in backend.versions
            del backend, run
            gc.collect()
    finally:
        logging.disable(logging.NOTSET)


def test_flow_timeout_cancels_task_runs_that_had_not_started(backend: InMemoryBackend) -> None:
    task_gate, body_gate = threading.Event(), threading.Event()
    ran: list[str] = []

    @task
    def first() -> None:
        task_gate.wait(0.4)

    @task
    def second() -> None:
        ran.append("second")

    @flow(timeout_seconds=0.2)
    def stuck() -> None:
        second.submit(wait_for=[first.submit()])
        body_gate.wait(0.5)

    try:
        state = stuck(return_state=True)
    finally:
        body_gate.set()
        task_gate.set()
    assert state.is_failed()
    runs = task_runs(backend)
    assert runs["first-0"].state is S.COMPLETED  # running attempts cannot be interrupted
    assert runs["second-0"].state is S.CANCELLED
    assert runs["second-0"].state_message == "the flow run was cancelled"
    assert ran == []


def test_a_flow_returning_a_completed_state_returns_its_result(backend: InMemoryBackend) -> None:
    @task
    def three() -> int:
        return 3

    @flow
    def pipeline() -> Any:
        return three(return_state=True)

    assert pipeline() == 3
    assert only_flow_run(backend).state is S.COMPLETED
