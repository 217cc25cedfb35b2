"""The state machine: which transitions are allowed, that terminal states are final unless
forced, and that a refusal names the run and the way out."""

from __future__ import annotations

import pytest

from legato.core.states import (
    RETRYABLE_STATES,
    SUCCESS_STATES,
    TERMINAL_STATES,
    TRANSITIONS,
    StateType,
    can_transition,
    check_transition,
    is_terminal,
)
from legato.errors import StateTransitionError

S = StateType

ALLOWED = [
    (None, S.PENDING),
    (None, S.RUNNING),
    (None, S.CACHED),
    (None, S.SKIPPED),
    (S.PENDING, S.RUNNING),
    (S.PENDING, S.SKIPPED),
    (S.SCHEDULED, S.RUNNING),
    (S.RUNNING, S.COMPLETED),
    (S.RUNNING, S.FAILED),
    (S.RUNNING, S.AWAITING_RETRY),
    (S.RUNNING, S.CRASHED),
    (S.AWAITING_RETRY, S.RUNNING),
    (S.AWAITING_RETRY, S.FAILED),
    (S.CANCELLING, S.CANCELLED),
    (S.PAUSED, S.RUNNING),
]

REFUSED = [
    (None, S.AWAITING_RETRY),
    (None, S.CANCELLING),
    (S.PENDING, S.AWAITING_RETRY),
    (S.RUNNING, S.PENDING),
    (S.RUNNING, S.SKIPPED),
    (S.AWAITING_RETRY, S.PAUSED),
    (S.CANCELLING, S.RUNNING),
]


@pytest.mark.parametrize(("current", "proposed"), ALLOWED)
def test_allowed_transition_passes_the_check(current: StateType | None,
                                             proposed: StateType) -> None:
    assert can_transition(current, proposed)
    check_transition(current, proposed)


@pytest.mark.parametrize(("current", "proposed"), REFUSED)
def test_refused_transition_raises_and_lists_the_allowed_next_states(
        current: StateType | None, proposed: StateType) -> None:
    assert not can_transition(current, proposed)
    with pytest.raises(StateTransitionError) as info:
        check_transition(current, proposed, what="task run load-0")
    message = str(info.value)
    assert message.startswith("task run load-0 cannot move from ")
    assert proposed.value in message
    for allowed in TRANSITIONS[current]:
        assert allowed.value in message


@pytest.mark.parametrize("terminal", sorted(TERMINAL_STATES))
@pytest.mark.parametrize("proposed", list(StateType))
def test_terminal_state_cannot_be_left_without_force(terminal: StateType,
                                                     proposed: StateType) -> None:
    assert not can_transition(terminal, proposed)
    with pytest.raises(StateTransitionError, match="terminal states are final"):
        check_transition(terminal, proposed, what="flow run abc")


@pytest.mark.parametrize("terminal", sorted(TERMINAL_STATES))
def test_forced_transition_leaves_a_terminal_state(terminal: StateType) -> None:
    check_transition(terminal, S.SCHEDULED, force=True)
    check_transition(terminal, S.RUNNING, force=True)


def test_terminal_refusal_names_the_run_both_states_and_the_fix() -> None:
    with pytest.raises(StateTransitionError) as info:
        check_transition(S.COMPLETED, S.RUNNING, what="flow run 0190-abc")
    message = str(info.value)
    assert "flow run 0190-abc" in message
    assert "COMPLETED" in message and "RUNNING" in message
    assert "forced (retry or mark)" in message


def test_terminal_states_are_exactly_the_ones_with_no_way_out() -> None:
    no_way_out = {state for state, nxt in TRANSITIONS.items() if state is not None and not nxt}
    assert no_way_out == set(TERMINAL_STATES)
    assert all(is_terminal(s) for s in TERMINAL_STATES)
    assert not any(is_terminal(s) for s in set(StateType) - TERMINAL_STATES)


def test_every_state_has_a_row_in_the_transition_table() -> None:
    assert set(StateType) <= set(TRANSITIONS)


def test_success_and_retryable_states_are_terminal_and_disjoint() -> None:
    assert {S.COMPLETED, S.CACHED} == SUCCESS_STATES
    assert {S.FAILED, S.CRASHED, S.CANCELLED} == RETRYABLE_STATES
    assert SUCCESS_STATES <= TERMINAL_STATES
    assert RETRYABLE_STATES <= TERMINAL_STATES
    assert not SUCCESS_STATES & RETRYABLE_STATES


def test_state_type_prints_as_its_value() -> None:
    assert str(S.AWAITING_RETRY) == "AWAITING_RETRY"
    assert f"{S.COMPLETED}" == "COMPLETED"
