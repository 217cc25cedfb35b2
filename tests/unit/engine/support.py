"""Helpers for engine and SDK tests: read what a flow run left in an InMemoryBackend."""

from __future__ import annotations

from legato.core.records import FlowRunRecord, TaskRunRecord
from legato.core.states import StateType
from legato.testing import InMemoryBackend


def only_flow_run(backend: InMemoryBackend, flow_name: str | None = None) -> FlowRunRecord:
    """The single (top-level) flow run stored, optionally of one flow."""
    runs = [
        r
        for r in backend.list_flow_runs(flow_name=flow_name, limit=1000)
        if flow_name is not None or r.parent_flow_run_id is None
    ]
    assert len(runs) == 1, runs
    return runs[0]


def task_runs(backend: InMemoryBackend, flow_run_id: str | None = None) -> dict[str, TaskRunRecord]:
    """Task runs of a flow run (default: the only one) by task key."""
    run_id = flow_run_id or only_flow_run(backend).id
    return {r.task_key: r for r in backend.read_task_runs(run_id)}


def history(backend: InMemoryBackend, run_id: str) -> list[StateType]:
    """The states a run went through, oldest first."""
    return [e.to_state for e in backend.read_state_events(run_id)]
