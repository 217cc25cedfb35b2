"""Deciding what of an engine write batch may be stored: every task run's event chain is
checked against the state machine, starting from its stored state. Pure code, no SQL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from legato.core.records import StateEvent, TaskRunRow
from legato.core.states import TRANSITIONS, StateType, check_transition
from legato.errors import StateTransitionError

# How many refusals a BatchRefused message spells out; the rest are counted.
_MESSAGE_EXAMPLES = 3


class BatchRefused(StateTransitionError):
    """Some task runs of a write batch were refused; `refused` maps run id -> reason.

    Everything else in the batch was committed."""

    def __init__(self, refused: Mapping[str, str]) -> None:
        self.refused: dict[str, str] = dict(refused)
        reasons = [reason.rstrip(".") for reason in list(self.refused.values())[:_MESSAGE_EXAMPLES]]
        more = len(self.refused) - len(reasons)
        tail = f" (and {more} more)" if more else ""
        super().__init__(
            f"{len(self.refused)} run(s) of the write batch were not stored: "
            f"{'; '.join(reasons)}{tail}."
        )


@dataclass(slots=True)
class BatchPlan:
    """What to write: rows to insert, rows to update, events to append, and refusals."""

    inserts: list[TaskRunRow] = field(default_factory=list)
    updates: list[TaskRunRow] = field(default_factory=list)
    events: Sequence[StateEvent] = ()
    refused: dict[str, str] = field(default_factory=dict)


def _refusal(run_id: str, current: StateType | None, proposed: StateType) -> str:
    try:
        check_transition(current, proposed, what=f"task run {run_id}")
    except StateTransitionError as error:
        return str(error)
    raise AssertionError(f"{current} -> {proposed} was refused and then allowed")


def plan_batch(
    rows: Sequence[TaskRunRow],
    events: Sequence[StateEvent],
    stored: Mapping[str, StateType],
    *,
    refused: Mapping[str, str] | None = None,
) -> BatchPlan:
    """Split a batch into inserts, updates and refusals.

    `stored` holds the committed state of every row that may already exist: rows marked
    `is_new` are trusted to be absent unless `stored` says otherwise. A row's events are
    validated in order from its stored state (None for a new row), forced events skip the
    check, and the row's own state must follow from the last event. `refused` carries runs
    the caller already rejected (missing flow run, duplicate key)."""
    plan = BatchPlan(refused=dict(refused or {}))
    chains: dict[str, list[StateEvent]] = {}
    for event in events:
        if event.run_kind == "task":
            chain = chains.get(event.run_id)
            if chain is None:
                chains[event.run_id] = [event]
            else:
                chain.append(event)
        elif event.run_kind == "flow":
            plan.refused[event.run_id] = (
                f"flow run {event.run_id} cannot change state through a write batch; "
                "call set_flow_run_state for flow runs."
            )
        else:
            plan.refused[event.run_id] = (
                f"state event of run {event.run_id} has run_kind {event.run_kind!r}; "
                "use 'task' (or set_flow_run_state for flow runs)."
            )

    inserts, updates, refusals = plan.inserts, plan.updates, plan.refused
    for row in rows:
        run_id = row.id
        chain = chains.pop(run_id, None)
        if run_id in refusals:
            continue
        if run_id in stored:
            current: StateType | None = stored[run_id]
            target = updates
        else:
            current = None
            target = inserts
        reason = None
        if chain is not None:
            for event in chain:
                if event.forced or event.to_state in TRANSITIONS[current]:
                    current = event.to_state
                else:
                    reason = _refusal(run_id, current, event.to_state)
                    break
        if reason is None and row.state is not current and row.state not in TRANSITIONS[current]:
            reason = _refusal(run_id, current, row.state)
        if reason is None:
            target.append(row)
        else:
            refusals[run_id] = reason

    for run_id in chains:
        refusals[run_id] = (
            f"task run {run_id} has state events but no snapshot in the batch; "
            "send its TaskRunRow together with its events."
        )
    plan.events = [e for e in events if e.run_id not in refusals] if refusals else events
    return plan
