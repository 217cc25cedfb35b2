"""Runs for the UI view tests: helpers that store flow runs with task runs and edges through
the Backend, as the engine would, and deployments through the API."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from legato.core.ids import new_id
from legato.core.records import Edge, NewFlowRun, StateEvent, TaskRunRow, WriteBatch
from legato.core.states import StateType as S
from legato.orchestration.local import LocalBackend

from .conftest import VIEWS_T0 as T0
from .conftest import Views

SOURCE = "from legato import flow\n\n@flow\ndef etl(n: int = 1) -> int:\n    return n\n"


def add_run(
    backend: LocalBackend,
    *,
    flow_name: str = "etl",
    created: datetime = T0,
    state: S = S.COMPLETED,
    name: str = "brave-otter",
    tags: Sequence[str] = (),
    parameters: dict[str, Any] | None = None,
) -> str:
    """A flow run walked to `state` (through RUNNING for final states); its id."""
    run_id = new_id()
    first = S.SCHEDULED if state in (S.SCHEDULED, S.PENDING) else S.RUNNING
    backend.create_flow_run(
        NewFlowRun(
            id=run_id, flow_name=flow_name, name=name, parameters=parameters or {"n": 1},
            state=first, created=created, tags=tuple(tags),
        )
    )
    if state is not first:
        backend.set_flow_run_state(run_id, state, force=True)
    return run_id


def add_tasks(
    backend: LocalBackend,
    flow_run_id: str,
    specs: Sequence[tuple[str, S, float]],
    *,
    edges: Sequence[tuple[int, int]] = (),
    start: datetime = T0,
) -> list[str]:
    """Task runs (key, final state, seconds it took), and edges by position; their ids."""
    rows, events = [], []
    for index, (key, state, seconds) in enumerate(specs):
        began = start + timedelta(seconds=index)
        mapped = key.endswith("]")
        row = TaskRunRow(
            id=new_id(), flow_run_id=flow_run_id, task_key=key, task_name=key.split("-")[0],
            map_index=int(key[key.index("[") + 1 : -1]) if mapped else None, state=state,
            state_message=None, attempts=1, created=began, updated=began, start_time=began,
            end_time=began + timedelta(seconds=seconds) if state is not S.RUNNING else None,
            result=None, cache_key=None, child_flow_run_id=None, is_new=True,
        )
        rows.append(row)
        events += [
            StateEvent(row.id, "task", None, S.PENDING, began),
            StateEvent(row.id, "task", S.PENDING, S.RUNNING, began),
        ]
        if state is not S.RUNNING:
            events.append(StateEvent(row.id, "task", S.RUNNING, state, began))
    ids = [row.id for row in rows]
    batch = WriteBatch(
        task_runs=rows,
        events=events,
        edges=[Edge(flow_run_id, ids[up], ids[down]) for up, down in edges],
    )
    backend.write(batch)
    return ids


def create_deployment(views: Views, name: str = "nightly") -> str:
    """A deployment of flow 'etl' without schedules; its id."""
    body = {
        "flow_name": "etl", "name": name, "entrypoint": "etl.py:etl", "source": SOURCE,
        "source_hash": hashlib.sha256(SOURCE.encode()).hexdigest(), "parameters": {"n": 1},
    }
    response = views.api.post("/api/v1/deployments", json=body)
    assert response.status_code == 201, response.text
    deployment_id: str = response.json()["id"]
    return deployment_id


def run_deployment(views: Views, deployment_id: str) -> str:
    """A run made now by the deployment; its id."""
    response = views.api.post(f"/api/v1/deployments/{deployment_id}/runs", json={})
    assert response.status_code == 201, response.text
    run_id: str = response.json()["id"]
    return run_id
