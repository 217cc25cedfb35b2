"""POST and GET /api/v1/events: webhooks stored and listed, flow-run state changes visible as
events, and hostile bodies refused with problem+json naming the field."""

from __future__ import annotations

from datetime import UTC, datetime

from legato.core.events import MAX_PAYLOAD_BYTES
from legato.core.ids import new_id
from legato.core.records import NewFlowRun
from legato.core.states import StateType as S
from legato.orchestration.local import LocalBackend
from legato.server.app import create_app
from legato.server.routes.events import MAX_EVENT_BODY_BYTES

from .conftest import Api

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


def test_webhook_event_is_stored_and_listed_by_prefix(api: Api) -> None:
    sent = api.post("/api/v1/events", json={
        "name": "github.push", "payload": {"repo": "legato", "ref": "main"},
        "resource": "github.repo.legato"})
    assert sent.status_code == 201, sent.text
    assert sent.json()["payload"] == {"repo": "legato", "ref": "main"}
    api.post("/api/v1/events", json={"name": "github.issue", "payload": {}})
    api.post("/api/v1/events", json={"name": "other.thing"})
    page = api.get("/api/v1/events", params={"prefix": "github.", "limit": 1}).json()
    assert [e["name"] for e in page["items"]] == ["github.issue"]
    assert page["next_offset"] == 1
    rest = api.get("/api/v1/events", params={"prefix": "github.", "offset": 1}).json()
    assert [e["resource"] for e in rest["items"]] == ["github.repo.legato"]
    assert rest["next_offset"] is None


def test_flow_run_state_changes_are_events(api: Api, backend: LocalBackend) -> None:
    run = backend.create_flow_run(NewFlowRun(new_id(), "etl", "calm-heron", {}, S.PENDING, T0,
                                             tags=("nightly",)))
    backend.set_flow_run_state(run.id, S.RUNNING)
    backend.set_flow_run_state(run.id, S.COMPLETED, message="done")
    items = api.get("/api/v1/events", params={"prefix": "legato.flow-run."}).json()["items"]
    assert [e["name"] for e in items] == [
        "legato.flow-run.completed", "legato.flow-run.running", "legato.flow-run.pending"]
    completed = items[0]
    assert completed["resource"] == f"legato.flow-run.{run.id}"
    assert completed["payload"]["flow_name"] == "etl"
    assert completed["payload"]["from_state"] == "RUNNING"
    assert completed["payload"]["message"] == "done"
    assert completed["related"] == ["legato.flow.etl", "legato.tag.nightly"]


def _problem(api: Api, body: object, field: str) -> str:
    response = api.post("/api/v1/events", json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert any(field in error["field"] for error in problem["errors"]), problem
    return str(problem["detail"])


def test_hostile_event_bodies_are_refused_and_nothing_is_stored(api: Api) -> None:
    _problem(api, {"name": "has space"}, "name")
    _problem(api, {"name": "x" * 300}, "name")
    _problem(api, {"name": "ok", "payload": [1, 2]}, "payload")
    _problem(api, {"name": "ok", "unknown": 1}, "unknown")
    _problem(api, {"name": "ok", "occurred": "2026-01-01T00:00:00"}, "occurred")
    _problem(api, {"name": "ok", "related": ["r"] * 40}, "related")
    detail = _problem(api, {"name": "legato.flow-run.completed", "payload": {}}, "name")
    assert "only Legato emits" in detail
    assert api.get("/api/v1/events").json()["items"] == []


def test_oversized_payload_is_422_and_oversized_body_is_413(backend: LocalBackend) -> None:
    api = Api(create_app(backend))
    big = {"name": "big", "payload": {"blob": "x" * MAX_PAYLOAD_BYTES}}
    response = api.post("/api/v1/events", json=big)
    assert response.status_code == 422
    assert "under 65536 bytes" in response.json()["detail"]
    huge = {"name": "big", "payload": {"blob": "x" * MAX_EVENT_BODY_BYTES}}
    response = api.post("/api/v1/events", json=huge)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert api.get("/api/v1/events").json()["items"] == []


def test_naive_time_filter_is_refused(api: Api) -> None:
    response = api.get("/api/v1/events", params={"since": "2026-01-01T00:00:00"})
    assert response.status_code == 422
    assert "time zone" in response.json()["detail"]
