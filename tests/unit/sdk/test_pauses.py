"""pause_flow_run and suspend_flow_run: a paused run waits in its process until resumed
(with typed input, or it times out, or it is cancelled); a suspended run ends its process
and, once resumed, runs again with its completed task runs reused."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import cast

import pytest
from pydantic import BaseModel

from legato import State, flow, pause_flow_run, suspend_flow_run, task
from legato.core.pauses import InputStatus, PauseKind, PauseNotPending
from legato.core.states import StateType
from legato.errors import DefinitionError, ParameterError
from legato.sdk import runtime
from legato.testing import FakeClock, InMemoryBackend, legato_test_harness
from tests.unit.engine.support import history, only_flow_run, task_runs
from tests.unit.sdk.test_runtime import executions, write_flow

S = StateType


class Approval(BaseModel):
    approved: bool
    reviewer: str


class ResumingClock(FakeClock):
    """A fake clock on which the n-th sleep (of a paused run polling) runs `action`."""

    def __init__(self) -> None:
        super().__init__()
        self.on_sleep: dict[int, Callable[[], None]] = {}

    def sleep(self, seconds: float) -> None:
        super().sleep(seconds)
        action = self.on_sleep.pop(len(self.sleeps), None)
        if action is not None:
            action()


@pytest.fixture
def clock() -> ResumingClock:
    return ResumingClock()


@pytest.fixture
def backend(clock: ResumingClock) -> Iterator[InMemoryBackend]:
    memory = InMemoryBackend(clock)
    with legato_test_harness(memory, clock=clock):
        yield memory


def paused_run_id(backend: InMemoryBackend) -> str:
    return only_flow_run(backend).id


def test_paused_run_continues_with_the_typed_input_it_is_resumed_with(
    backend: InMemoryBackend, clock: ResumingClock
) -> None:
    @flow
    def review() -> str:
        answer = pause_flow_run(Approval, timeout=60, poll_interval=5)
        return f"{answer.reviewer}:{answer.approved}"

    def resume() -> None:
        run_id = paused_run_id(backend)
        request = backend.read_run_input(run_id)
        assert request is not None and request.kind is PauseKind.PAUSE
        assert request.schema is not None and set(request.schema["required"]) == {
            "approved", "reviewer"}
        backend.resume_flow_run(run_id, {"approved": True, "reviewer": "ana"})

    clock.on_sleep[2] = resume
    assert review() == "ana:True"
    run_id = paused_run_id(backend)
    assert history(backend, run_id) == [S.RUNNING, S.PAUSED, S.RUNNING, S.COMPLETED]
    stored = backend.read_run_input(run_id, "pause-0")
    assert stored is not None and stored.status is InputStatus.RESPONDED
    assert clock.sleeps == [5, 5]


def test_resume_with_invalid_input_is_refused_and_the_run_stays_paused(
    backend: InMemoryBackend, clock: ResumingClock
) -> None:
    refused: list[ParameterError] = []

    @flow
    def review() -> bool:
        return pause_flow_run(Approval, timeout=60, poll_interval=1).approved

    def bad_then_good() -> None:
        run_id = paused_run_id(backend)
        with pytest.raises(ParameterError) as caught:
            backend.resume_flow_run(run_id, {"approved": "maybe"})
        refused.append(caught.value)
        assert backend.read_flow_run(run_id).state is S.PAUSED
        backend.resume_flow_run(run_id, {"approved": False, "reviewer": "bo"})

    clock.on_sleep[1] = bad_then_good
    assert review() is False
    fields = {field for field, _ in refused[0].errors}
    assert fields == {"approved", "(input)"}  # wrong type, and reviewer missing


def test_pause_without_input_refuses_input_and_returns_none(
    backend: InMemoryBackend, clock: ResumingClock
) -> None:
    @flow
    def gate() -> object:
        return pause_flow_run(timeout=60, poll_interval=1)

    def resume() -> None:
        run_id = paused_run_id(backend)
        with pytest.raises(ParameterError, match="takes no input"):
            backend.resume_flow_run(run_id, {"x": 1})
        backend.resume_flow_run(run_id)

    clock.on_sleep[1] = resume
    assert gate() is None


def test_pause_not_resumed_before_its_timeout_fails_the_run(
    backend: InMemoryBackend, clock: ResumingClock
) -> None:
    @flow
    def gate() -> None:
        pause_flow_run(timeout=30, poll_interval=10)

    state = gate(return_state=True)
    assert state.type is S.FAILED
    assert "PauseTimeout" in (state.message or "")
    run_id = state.flow_run_id
    assert run_id is not None
    assert history(backend, run_id) == [S.RUNNING, S.PAUSED, S.RUNNING, S.FAILED]
    assert clock.sleeps == [10, 10, 10]
    stored = backend.read_run_input(run_id, "pause-0")
    assert stored is not None and stored.status is InputStatus.EXPIRED


def test_flow_may_handle_a_pause_timeout_and_go_on(
    backend: InMemoryBackend, clock: ResumingClock
) -> None:
    from legato.errors import PauseTimeout

    @flow
    def gate() -> str:
        try:
            pause_flow_run(timeout=1, poll_interval=1)
        except PauseTimeout:
            return "went on without approval"
        return "approved"

    assert gate() == "went on without approval"


def test_cancelling_a_paused_run_ends_it_cancelled(
    backend: InMemoryBackend, clock: ResumingClock
) -> None:
    from legato.core.cancel import cancel_flow_run

    @flow
    def gate() -> None:
        pause_flow_run(timeout=60, poll_interval=1)

    def cancel() -> None:
        cancel_flow_run(backend, paused_run_id(backend))

    clock.on_sleep[1] = cancel
    state = gate(return_state=True)
    assert state.type is S.CANCELLED
    assert backend.read_flow_run(paused_run_id(backend)).state is S.CANCELLED
    assert backend.read_run_input(paused_run_id(backend)) is None


def test_resuming_a_run_that_is_not_paused_is_a_conflict(backend: InMemoryBackend) -> None:
    @flow
    def plain() -> int:
        return 1

    state = plain(return_state=True)
    assert state.flow_run_id is not None
    with pytest.raises(PauseNotPending, match="COMPLETED, not waiting"):
        backend.resume_flow_run(state.flow_run_id, None)


def test_pause_outside_a_flow_is_a_definition_error() -> None:
    with pytest.raises(DefinitionError, match="outside a flow run"):
        pause_flow_run()
    with pytest.raises(DefinitionError, match="outside a flow run"):
        suspend_flow_run()


def test_suspend_in_a_task_or_subflow_is_refused(backend: InMemoryBackend) -> None:
    @task
    def inside() -> None:
        suspend_flow_run()

    @flow
    def child() -> None:
        suspend_flow_run()

    @flow
    def parent() -> tuple[str | None, str | None]:
        a = inside(return_state=True).message
        b = child(return_state=True).message
        return a, b

    a, b = parent()
    assert a is not None and "top-level flow" in a
    assert b is not None and "top-level flow" in b


def test_bad_timeout_is_refused(backend: InMemoryBackend) -> None:
    @flow
    def gate() -> None:
        pause_flow_run(timeout=0)

    with pytest.raises(ParameterError, match="must both be positive"):
        gate()


SUSPENDING = '''
@task
def extract(log: str) -> int:
    record(log, "extract")
    return 20


@task
def load(log: str, n: int) -> int:
    record(log, "load")
    return n


@flow
def approve(log: str) -> int:
    n = extract(log)
    factor = suspend_flow_run(int, timeout=600)
    return load(log, n * factor)
'''


def test_suspended_run_resumes_with_input_and_reuses_completed_tasks(
    tmp_path: Path, backend: InMemoryBackend, clock: ResumingClock
) -> None:
    log = tmp_path / "log"
    approve = write_flow(tmp_path, "approve",
                         "from legato import suspend_flow_run\n" + SUSPENDING)
    state = cast(State, approve(str(log), return_state=True))
    assert state.type is S.PAUSED
    run_id = state.flow_run_id
    assert run_id is not None
    assert backend.read_flow_run(run_id).state is S.PAUSED
    assert executions(log) == ["extract"]
    request = backend.read_run_input(run_id)
    assert request is not None and request.kind is PauseKind.SUSPEND
    assert request.schema == {"type": "integer"}

    with pytest.raises(ParameterError):
        backend.resume_flow_run(run_id, "three")
    assert backend.resume_flow_run(run_id, 3).state is S.SCHEDULED

    worker = backend.register_worker("w", ["default"])
    [claim] = backend.claim_flow_runs(worker.id, ["default"], 1, lease_seconds=30)
    final = runtime.execute_flow_run(run_id, epoch=claim.epoch)
    assert final.type is S.COMPLETED
    assert final.result() == 60
    assert executions(log) == ["extract", "load"]
    assert history(backend, run_id) == [
        S.RUNNING, S.PAUSED, S.SCHEDULED, S.PENDING, S.RUNNING, S.COMPLETED]
    assert {r.task_key: r.state for r in task_runs(backend, run_id).values()} == {
        "extract-0": S.COMPLETED, "load-0": S.COMPLETED}
