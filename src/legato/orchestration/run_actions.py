"""What people do to finished runs from the UI or the API: retry a flow run from a chosen task
(that task and everything downstream of it re-run, other committed results are reused),
mark a task run COMPLETED or FAILED by hand, and delete a finished flow run. Each change is
one transaction and leaves forced state events with the reason."""

from __future__ import annotations

import dataclasses

from legato.core.records import FlowRunRecord, StateEvent, TaskRunRecord
from legato.core.states import TERMINAL_STATES, StateType, is_terminal
from legato.errors import Conflict, NotFound, ParameterError
from legato.orchestration.service import OrchestrationService, flow_run_not_found
from legato.store import events, run_edits, runs, taskruns

# The states a task run may be marked with by hand.
MARKABLE: frozenset[StateType] = frozenset({StateType.COMPLETED, StateType.FAILED})


def task_run_not_found(task_run_id: str) -> NotFound:
    """The error for an unknown task run id."""
    return NotFound(
        f"task run {task_run_id!r} does not exist; take the id from the run's graph "
        "(GET /api/v1/flow-runs/{id}/graph)."
    )


def retry_from_task(
    service: OrchestrationService, flow_run_id: str, task_key: str
) -> FlowRunRecord:
    """Reset the task run with `task_key` and every task run downstream of it to PENDING and
    reschedule the finished flow run; its other completed task runs are reused on resume.

    >>> retry_from_task(service, run_id, "transform-1").state  # doctest: +SKIP
    <StateType.SCHEDULED: 'SCHEDULED'>
    """
    with service.db.writing() as conn:
        current = runs.read_flow_run(conn, flow_run_id, for_update=True)
        if current is None:
            raise flow_run_not_found(flow_run_id)
        if current.state not in TERMINAL_STATES:
            raise Conflict(
                f"flow run {flow_run_id} is {current.state.value}; retry from a task only "
                "once it has finished (cancel it first if it is still going)."
            )
        start = run_edits.find_task_run(conn, flow_run_id, task_key)
        if start is None:
            raise ParameterError(
                f"flow run {flow_run_id} has no task run with key {task_key!r}; pass a "
                "task_key from the run's graph.",
                [("from_task_key", "no such task run in this flow run")],
            )
        reset = sorted(run_edits.downstream_of(conn, flow_run_id, [start]))
        now = service.clock.now()
        reason = f"re-run requested: retry from task {task_key}"
        states = taskruns.read_task_states(conn, reset, for_update=True)
        run_edits.force_task_states(conn, reset, StateType.PENDING, reason, now, end_time=None)
        events.insert_events(
            conn,
            [
                StateEvent(run_id, "task", states[run_id], StateType.PENDING, now, reason, True)
                for run_id in reset
            ],
        )
        return service.transition(conn, current, StateType.SCHEDULED, reason, None, force=True)


def mark_task_run(
    service: OrchestrationService, task_run_id: str, state: StateType, message: str | None
) -> TaskRunRecord:
    """Force a task run to COMPLETED or FAILED with the reason in its state history."""
    if state not in MARKABLE:
        raise ParameterError(
            f"a task run can be marked COMPLETED or FAILED, not {state.value}; pick one of "
            "those two.",
            [("state", "must be COMPLETED or FAILED")],
        )
    with service.db.writing() as conn:
        current = run_edits.read_task_run(conn, task_run_id, for_update=True)
        if current is None:
            raise task_run_not_found(task_run_id)
        now = service.clock.now()
        reason = message or f"marked {state.value} by hand"
        end_time = current.end_time or now
        run_edits.force_task_states(conn, [task_run_id], state, reason, now, end_time=end_time)
        events.insert_events(
            conn, [StateEvent(task_run_id, "task", current.state, state, now, reason, True)]
        )
    return dataclasses.replace(
        current, state=state, state_message=reason, updated=now, end_time=end_time
    )


def delete_flow_run(service: OrchestrationService, flow_run_id: str) -> None:
    """Delete a finished flow run with its task runs, logs, events, edges and artifacts;
    Conflict while it may still execute."""
    with service.db.writing() as conn:
        current = runs.read_flow_run(conn, flow_run_id, for_update=True)
        if current is None:
            raise flow_run_not_found(flow_run_id)
        if not is_terminal(current.state):
            raise Conflict(
                f"flow run {flow_run_id} is {current.state.value} and cannot be deleted; "
                "cancel it first and delete it once it has finished."
            )
        run_edits.delete_flow_run(conn, flow_run_id)
