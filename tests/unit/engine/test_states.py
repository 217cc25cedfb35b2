"""State objects: predicates, results (raised, returned or loaded lazily) and names."""

from __future__ import annotations

import pytest

from legato import State
from legato.core.states import StateType
from legato.errors import LegatoError

S = StateType


def test_completed_and_cached_states_are_completed() -> None:
    assert State(S.COMPLETED, data=1).is_completed()
    assert State(S.CACHED, data=1).is_completed()
    assert not State(S.FAILED).is_completed()
    assert not State(S.RUNNING).is_completed()


@pytest.mark.parametrize(("state_type", "predicate"), [
    (S.FAILED, "is_failed"), (S.CRASHED, "is_crashed"), (S.CANCELLED, "is_cancelled"),
    (S.CANCELLING, "is_cancelling"), (S.RUNNING, "is_running"), (S.PENDING, "is_pending"),
    (S.SCHEDULED, "is_scheduled"), (S.PAUSED, "is_paused"), (S.SKIPPED, "is_skipped"),
])
def test_each_predicate_is_true_for_its_state_only(state_type: StateType, predicate: str) -> None:
    for other in StateType:
        assert getattr(State(other), predicate)() is (other is state_type)


def test_final_states_are_the_terminal_ones() -> None:
    assert State(S.SKIPPED).is_final()
    assert not State(S.AWAITING_RETRY).is_final()


def test_result_of_a_completed_state_is_its_data_or_none() -> None:
    assert State(S.COMPLETED, data=[1, 2]).result() == [1, 2]
    assert State(S.COMPLETED).result() is None


def test_result_is_loaded_once_and_only_when_asked() -> None:
    loads: list[int] = []

    def loader() -> str:
        loads.append(1)
        return "loaded"

    state = State(S.COMPLETED, loader=loader)
    assert loads == []
    assert state.result() == "loaded"
    assert state.result() == "loaded"
    assert loads == [1]


def test_result_of_a_failed_state_raises_or_returns_its_exception() -> None:
    error = KeyError("missing")
    state = State(S.FAILED, message="KeyError: missing", exception=error)
    with pytest.raises(KeyError):
        state.result()
    assert state.result(raise_on_failure=False) is error


def test_failed_state_without_exception_raises_a_legato_error_with_its_message() -> None:
    with pytest.raises(LegatoError, match="the run ended CRASHED: worker lost"):
        State(S.CRASHED, message="worker lost").result()


def test_result_of_an_unfinished_state_says_to_wait() -> None:
    with pytest.raises(LegatoError, match="is RUNNING and has no result yet; wait"):
        State(S.RUNNING).result()


def test_name_and_repr() -> None:
    assert State(S.AWAITING_RETRY).name == "AwaitingRetry"
    assert repr(State(S.FAILED, message="boom")) == "Failed(FAILED, message='boom')"
    assert repr(State(S.COMPLETED)) == "Completed(COMPLETED)"
