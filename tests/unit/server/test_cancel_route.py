"""POST /flow-runs/{id}/cancel: CANCELLED for a run that has not started, CANCELLING for a
running one, 409 for a finished run and 404 for an unknown one."""

from __future__ import annotations

from datetime import UTC, datetime

from legato.core.cancel import CANCEL_REASON
from legato.core.ids import new_id
from legato.core.records import NewFlowRun
from legato.core.states import StateType as S
from legato.orchestration.local import LocalBackend

from .conftest import Api

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def make_run(backend: LocalBackend, state: S) -> str:
    run_id = new_id()
    backend.create_flow_run(NewFlowRun(run_id, "etl", "run", {}, state, T0))
    return run_id


def test_cancel_route_moves_runs_by_whether_they_started(api: Api, backend: LocalBackend) -> None:
    scheduled, running = make_run(backend, S.SCHEDULED), make_run(backend, S.RUNNING)
    for run_id, expected in ((scheduled, S.CANCELLED), (running, S.CANCELLING)):
        response = api.post(f"/api/v1/flow-runs/{run_id}/cancel")
        assert response.status_code == 200, response.text
        assert (response.json()["state"], response.json()["state_message"]) == (
            expected.value, CANCEL_REASON)
        assert backend.read_flow_run(run_id).state is expected


def test_cancel_route_refuses_finished_and_unknown_runs(api: Api, backend: LocalBackend) -> None:
    done = make_run(backend, S.COMPLETED)
    refused = api.post(f"/api/v1/flow-runs/{done}/cancel")
    assert refused.status_code == 409
    assert "cannot be cancelled" in refused.json()["detail"]
    assert api.post(f"/api/v1/flow-runs/{new_id()}/cancel").status_code == 404
