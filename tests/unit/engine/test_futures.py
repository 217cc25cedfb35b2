"""Futures: `wait`, `as_completed`, timeouts, and `return_state=True` on task calls."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from legato import State, flow, task
from legato.core.states import StateType
from legato.futures import as_completed, wait
from legato.testing import InMemoryBackend

S = StateType


@task
def identity(x: Any) -> Any:
    return x


@task
def blocked(gate: threading.Event, name: str) -> str:
    gate.wait(0.5)
    return name


@task
def boom(message: str) -> None:
    raise ValueError(message)


def test_wait_returns_every_future_done(backend: InMemoryBackend) -> None:
    outcome: list[Any] = []

    @flow
    def pipeline() -> None:
        futures = [identity.submit(i) for i in range(5)]
        done, not_done = wait(futures)
        outcome.append((len(done), not_done, sorted(f.result() for f in done)))

    pipeline()
    assert outcome == [(5, set(), [0, 1, 2, 3, 4])]


def test_wait_with_a_timeout_reports_unfinished_futures(backend: InMemoryBackend) -> None:
    gate = threading.Event()
    outcome: list[Any] = []

    @flow
    def pipeline() -> None:
        fast = identity.submit("fast")
        fast.wait()
        slow = blocked.submit(gate, "slow")
        done, not_done = wait([fast, slow], timeout=0.05)
        outcome.append((done == {fast}, not_done == {slow}))
        gate.set()

    pipeline()
    assert outcome == [(True, True)]


def test_as_completed_yields_futures_in_the_order_they_finish(backend: InMemoryBackend) -> None:
    gate = threading.Event()
    order: list[str] = []

    @flow
    def pipeline() -> None:
        slow = blocked.submit(gate, "slow")
        fast = identity.submit("fast")
        for future in as_completed([slow, fast], timeout=5):
            order.append(future.result())
            gate.set()  # only now may the slow one finish

    pipeline()
    assert order == ["fast", "slow"]


def test_as_completed_raises_timeout_error_when_nothing_finishes(backend: InMemoryBackend) -> None:
    gate = threading.Event()
    errors: list[BaseException] = []

    @flow
    def pipeline() -> None:
        slow = blocked.submit(gate, "slow")
        try:
            list(as_completed([slow], timeout=0.05))
        except TimeoutError as exc:
            errors.append(exc)
        gate.set()

    pipeline()
    assert len(errors) == 1
    assert "did not finish within 0.05 s" in str(errors[0])


def test_future_result_with_timeout_raises_timeout_error_naming_the_task(
    backend: InMemoryBackend,
) -> None:
    gate = threading.Event()
    errors: list[BaseException] = []

    @flow
    def pipeline() -> None:
        slow = blocked.submit(gate, "slow")
        try:
            slow.result(timeout=0.05)
        except TimeoutError as exc:
            errors.append(exc)
        gate.set()

    pipeline()
    assert len(errors) == 1
    assert "blocked-0" in str(errors[0])


def test_future_state_is_pending_until_the_run_is_final(backend: InMemoryBackend) -> None:
    gate = threading.Event()
    seen: list[tuple[bool, bool]] = []

    @flow
    def pipeline() -> None:
        slow = blocked.submit(gate, "slow")
        seen.append((slow.done(), slow.state.is_pending()))
        gate.set()
        slow.wait()
        seen.append((slow.done(), slow.state.is_completed()))

    pipeline()
    assert seen == [(False, True), (True, True)]


def test_future_list_result_returns_every_value(backend: InMemoryBackend) -> None:
    @flow
    def pipeline() -> list[int]:
        futures = identity.map([3, 1, 2])
        futures.wait()
        return futures.result()

    assert pipeline() == [3, 1, 2]


def test_return_state_on_a_completed_task_call(backend: InMemoryBackend) -> None:
    states: list[State] = []

    @flow
    def pipeline() -> None:
        states.append(identity(7, return_state=True))

    pipeline()
    (state,) = states
    assert state.is_completed() and not state.is_failed()
    assert state.result() == 7
    assert state.task_run_id is not None


def test_return_state_on_a_failed_task_call(backend: InMemoryBackend) -> None:
    states: list[State] = []

    @flow
    def pipeline() -> str:
        states.append(boom("bad input", return_state=True))
        return "handled"

    assert pipeline() == "handled"
    (state,) = states
    assert state.is_failed() and not state.is_completed()
    assert state.message == "ValueError: bad input"
    error = state.result(raise_on_failure=False)
    assert isinstance(error, ValueError) and str(error) == "bad input"
    with pytest.raises(ValueError, match="bad input"):
        state.result()


def test_return_state_on_submit_waits_for_the_final_state(backend: InMemoryBackend) -> None:
    states: list[Any] = []

    @flow
    def pipeline() -> None:
        states.append(identity.submit(1, return_state=True))
        states.append(boom.submit("x", return_state=True))

    state = pipeline(return_state=True)
    assert isinstance(states[0], State) and states[0].result() == 1
    assert isinstance(states[1], State) and states[1].is_failed()
    # having read the failed state counts as handling it
    assert state.is_completed()


def test_return_state_on_map_gives_one_state_per_element(backend: InMemoryBackend) -> None:
    states: list[Any] = []

    @flow
    def pipeline() -> None:
        states.extend(identity.map([1, 2], return_state=True))

    pipeline()
    assert [s.result() for s in states] == [1, 2]
