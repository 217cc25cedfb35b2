"""Cancelling a flow run over any Backend: a run that has not started ends CANCELLED at once;
a running one becomes CANCELLING and the worker holding it stops its process. The API route
and `legato runs cancel` both call `cancel_flow_run`."""

from __future__ import annotations

from legato.core.backend import Backend
from legato.core.records import FlowRunRecord
from legato.core.states import StateType, is_terminal
from legato.errors import Conflict, StateTransitionError

CANCEL_REASON = "cancelled by request"
# States in which no process executes the run yet (a claimed PENDING run's process is
# fenced off by the lease that CANCELLED releases).
NOT_STARTED: frozenset[StateType] = frozenset(
    {StateType.SCHEDULED, StateType.PENDING, StateType.PAUSED, StateType.AWAITING_RETRY}
)


class AlreadyFinal(Conflict):
    """A run could not be cancelled because it already reached a final state."""


def cancel_flow_run(backend: Backend, flow_run_id: str) -> FlowRunRecord:
    """Cancel a flow run; NotFound for an unknown run, AlreadyFinal for a finished one.

    >>> cancel_flow_run(backend, run_id).state  # doctest: +SKIP
    <StateType.CANCELLING: 'CANCELLING'>
    """
    for _ in range(3):  # the run may move on between the read and the change
        run = backend.read_flow_run(flow_run_id)
        if is_terminal(run.state):
            raise AlreadyFinal(
                f"flow run {flow_run_id} is already {run.state.value} and cannot be cancelled; "
                "only runs that have not finished can be cancelled."
            )
        if run.state is StateType.CANCELLING:
            return run
        target = StateType.CANCELLED if run.state in NOT_STARTED else StateType.CANCELLING
        try:
            return backend.set_flow_run_state(flow_run_id, target, message=CANCEL_REASON)
        except StateTransitionError:
            continue
    raise Conflict(
        f"flow run {flow_run_id} kept changing state while being cancelled; try again."
    )
