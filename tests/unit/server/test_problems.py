"""Every error the API can return is RFC 9457 problem+json from one mapping: 404, 409 (conflict
and refused transitions), 413, 422 (wrong types, unknown states), 503 and a generic 500."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import pytest

from legato.core.ids import new_id
from legato.errors import BackendUnavailable
from legato.orchestration.local import LocalBackend

from .conftest import MAX_BODY, Api, chunks

PROBLEM = "application/problem+json"


def new_run_body(**changes: Any) -> dict[str, Any]:
    body = {
        "id": new_id(),
        "flow_name": "etl",
        "name": "brave-otter",
        "parameters": {"n": 1},
        "state": "PENDING",
        "created": datetime(2026, 3, 1, tzinfo=UTC).isoformat(),
    }
    body.update(changes)
    return body


def problem_of(response: httpx.Response, status: int, slug: str | None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"] == (f"urn:legato:problem:{slug}" if slug else "about:blank")
    assert body["title"] and body["detail"]
    assert body["instance"] == response.request.url.path
    return body


def test_unknown_flow_run_is_404_naming_the_run(api: Api) -> None:
    run_id = new_id()
    body = problem_of(api.get(f"/api/v1/flow-runs/{run_id}"), 404, "not-found")
    assert run_id in body["detail"]


def test_unknown_path_is_a_plain_404_problem(api: Api) -> None:
    problem_of(api.get("/api/v1/no-such-thing"), 404, None)


def test_duplicate_flow_run_is_409_conflict(api: Api) -> None:
    body = new_run_body()
    assert api.post("/api/v1/flow-runs", json=body).status_code == 201
    problem = problem_of(api.post("/api/v1/flow-runs", json=body), 409, "conflict")
    assert body["id"] in problem["detail"]


def test_refused_transition_is_409_state_transition(api: Api) -> None:
    run = api.post("/api/v1/flow-runs", json=new_run_body(state="COMPLETED")).json()
    response = api.post(f"/api/v1/flow-runs/{run['id']}/state", json={"state": "RUNNING"})
    problem = problem_of(response, 409, "state-transition")
    assert "COMPLETED" in problem["detail"]


def test_refused_task_runs_of_a_batch_are_listed(api: Api) -> None:
    orphan = new_id()
    now = datetime(2026, 3, 1, tzinfo=UTC).isoformat()
    row = {
        "id": orphan,
        "flow_run_id": new_id(),
        "task_key": "t-0",
        "task_name": "t",
        "map_index": None,
        "state": "PENDING",
        "state_message": None,
        "attempts": 0,
        "created": now,
        "updated": now,
        "start_time": None,
        "end_time": None,
        "is_new": True,
    }
    response = api.post("/api/v1/write-batches", json={"task_runs": [row]})
    problem = problem_of(response, 409, "state-transition")
    assert list(problem["refused"]) == [orphan]


def test_wrong_type_is_422_listing_the_field(api: Api) -> None:
    response = api.post("/api/v1/flow-runs", json=new_run_body(parameters=[1, 2]))
    problem = problem_of(response, 422, "invalid-request")
    assert [error["field"] for error in problem["errors"]] == ["body.parameters"]


def test_unknown_state_name_is_422(api: Api) -> None:
    run = api.post("/api/v1/flow-runs", json=new_run_body()).json()
    response = api.post(f"/api/v1/flow-runs/{run['id']}/state", json={"state": "EXPLODED"})
    problem = problem_of(response, 422, "invalid-request")
    assert problem["errors"][0]["field"] == "body.state"
    listing = api.get("/api/v1/flow-runs", params={"state": ["RUNNING", "NOPE"]})
    assert problem_of(listing, 422, "invalid-request")["errors"][0]["field"] == "query.state.1"


@pytest.mark.parametrize(
    "path",
    ["/api/v1/flow-runs/" + "x" * 37, "/api/v1/flow-runs/bad%20id", "/api/v1/flow-runs?limit=501"],
)
def test_hostile_ids_and_limits_are_422(api: Api, path: str) -> None:
    problem_of(api.get(path), 422, "invalid-request")


def test_naive_timestamp_and_malformed_json_are_422_not_500(api: Api) -> None:
    naive = new_run_body(created="2026-03-01T12:00:00")
    problem_of(api.post("/api/v1/flow-runs", json=naive), 422, "invalid-request")
    broken = api.post(
        "/api/v1/flow-runs", content=b'{"id": ', headers={"content-type": "application/json"}
    )
    problem_of(broken, 422, "invalid-request")


def test_body_nested_too_deeply_to_parse_is_422(api: Api) -> None:
    depth = 5_000
    nested = b'{"a":' * depth + b"1" + b"}" * depth
    body = orjson.dumps(new_run_body(parameters={})).replace(
        b'"parameters":{}', b'"parameters":' + nested
    )
    response = api.post(
        "/api/v1/flow-runs", content=body, headers={"content-type": "application/json"}
    )
    assert "nested too deeply" in problem_of(response, 422, "invalid-request")["detail"]


def test_declared_body_over_the_limit_is_413(api: Api) -> None:
    response = api.post(
        "/api/v1/flow-versions",
        content=b"x" * (MAX_BODY + 1),
        headers={"content-type": "application/json"},
    )
    problem = problem_of(response, 413, "payload-too-large")
    assert str(MAX_BODY) in problem["detail"]


def test_streamed_body_over_the_limit_is_413(api: Api, backend: LocalBackend) -> None:
    body = b'{"flow_name": "etl", "source_hash": "h", "source": "' + b"x" * MAX_BODY + b'"}'
    response = api.post(
        "/api/v1/flow-versions",
        content=chunks(body, 4096),
        headers={"content-type": "application/json"},
    )
    problem_of(response, 413, "payload-too-large")
    assert backend.list_flow_runs() == []


def test_backend_unavailable_is_503_with_retry_after(
    api: Api, backend: LocalBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(*args: object, **kwargs: object) -> None:
        raise BackendUnavailable("database at sqlite:///x is locked; retry later.")

    monkeypatch.setattr(backend, "read_flow_run", down)
    monkeypatch.setattr(backend, "list_flow_runs", down)
    response = api.get(f"/api/v1/flow-runs/{new_id()}")
    problem_of(response, 503, "backend-unavailable")
    assert response.headers["retry-after"] == "1"
    problem_of(api.get("/api/v1/ready"), 503, "backend-unavailable")


def test_unexpected_error_is_a_generic_500_without_the_traceback(
    api: Api,
    backend: LocalBackend,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(backend, "read_flow_run", broken)
    response = api.get(f"/api/v1/flow-runs/{new_id()}")
    problem = problem_of(response, 500, "internal-error")
    assert "secret" not in response.text and "Traceback" not in response.text
    assert "server log" in problem["detail"]
    logged = [r.exc_info[1] for r in caplog.records if r.exc_info and r.exc_info[1]]
    assert any("secret internal detail" in str(error) for error in logged)


def test_method_not_allowed_is_a_problem(api: Api) -> None:
    problem_of(api.request("DELETE", "/api/v1/health"), 405, None)
