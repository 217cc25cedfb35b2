"""Run states and the one table of allowed transitions, shared by flow runs and task runs."""

from __future__ import annotations

from enum import StrEnum

from legato.errors import StateTransitionError


class StateType(StrEnum):
    """The state of a flow run or task run."""

    PENDING = "PENDING"
    SCHEDULED = "SCHEDULED"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CRASHED = "CRASHED"
    CANCELLING = "CANCELLING"
    CANCELLED = "CANCELLED"
    AWAITING_RETRY = "AWAITING_RETRY"
    PAUSED = "PAUSED"
    SKIPPED = "SKIPPED"
    CACHED = "CACHED"


S = StateType

TERMINAL_STATES: frozenset[StateType] = frozenset(
    {S.COMPLETED, S.FAILED, S.CRASHED, S.CANCELLED, S.SKIPPED, S.CACHED}
)
# States whose run produced a usable result.
SUCCESS_STATES: frozenset[StateType] = frozenset({S.COMPLETED, S.CACHED})
# Terminal states a resumed run re-executes.
RETRYABLE_STATES: frozenset[StateType] = frozenset({S.FAILED, S.CRASHED, S.CANCELLED})

_ENDINGS = frozenset({S.COMPLETED, S.FAILED, S.CRASHED, S.CANCELLED})

# Allowed transitions. `None` is "no state yet": the state a run may be created in.
# Terminal states have no way out except a forced transition (retry, mark-as).
TRANSITIONS: dict[StateType | None, frozenset[StateType]] = {
    None: frozenset({S.PENDING, S.SCHEDULED, S.RUNNING, S.CACHED, S.SKIPPED, S.FAILED, S.COMPLETED}),
    S.PENDING: frozenset({S.SCHEDULED, S.RUNNING, S.CACHED, S.SKIPPED, S.CANCELLING} | _ENDINGS),
    S.SCHEDULED: frozenset({S.PENDING, S.RUNNING, S.SKIPPED, S.CANCELLING, S.PAUSED} | _ENDINGS),
    S.RUNNING: frozenset({S.AWAITING_RETRY, S.PAUSED, S.CANCELLING, S.CACHED} | _ENDINGS),
    S.AWAITING_RETRY: frozenset({S.RUNNING, S.SCHEDULED, S.CANCELLING} | _ENDINGS),
    S.PAUSED: frozenset({S.RUNNING, S.SCHEDULED, S.PENDING, S.CANCELLING} | _ENDINGS),
    S.CANCELLING: frozenset({S.CANCELLED, S.CRASHED, S.FAILED, S.COMPLETED}),
}
for _terminal in TERMINAL_STATES:
    TRANSITIONS[_terminal] = frozenset()


def is_terminal(state: StateType) -> bool:
    """True for states a run cannot leave without a forced transition."""
    return state in TERMINAL_STATES


def can_transition(current: StateType | None, proposed: StateType) -> bool:
    """Whether `current -> proposed` is allowed without force."""
    return proposed in TRANSITIONS[current]


def check_transition(
    current: StateType | None, proposed: StateType, *, force: bool = False, what: str = "run"
) -> None:
    """Raise StateTransitionError unless `current -> proposed` is allowed (or forced).

    >>> check_transition(StateType.RUNNING, StateType.COMPLETED)
    """
    if force or proposed in TRANSITIONS[current]:
        return
    if current is not None and current in TERMINAL_STATES:
        raise StateTransitionError(
            f"{what} is already {current.value} and cannot become {proposed.value}; "
            "terminal states are final unless the change is forced (retry or mark)."
        )
    raise StateTransitionError(
        f"{what} cannot move from {current.value if current else 'nothing'} to "
        f"{proposed.value}; allowed next states are "
        f"{', '.join(sorted(s.value for s in TRANSITIONS[current])) or 'none'}."
    )
