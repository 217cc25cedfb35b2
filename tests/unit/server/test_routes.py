"""The API's happy paths over a LocalBackend: health and readiness, the OpenAPI document,
pages with next offsets and cursors, result bytes through the cache, idempotent batches."""

from __future__ import annotations

import base64
import pickle
from datetime import UTC, datetime, timedelta
from pathlib import Path

from legato.core.ids import new_id
from legato.core.records import LogRow, NewFlowRun, WriteBatch
from legato.core.states import StateType as S
from legato.orchestration.local import LocalBackend

from .conftest import Api

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


def make_runs(backend: LocalBackend, count: int) -> list[str]:
    ids = []
    for i in range(count):
        new = NewFlowRun(new_id(), "etl", f"run-{i}", {}, S.PENDING, T0 + timedelta(seconds=i))
        ids.append(backend.create_flow_run(new).id)
    return ids


def test_health_and_ready_answer(api: Api) -> None:
    assert api.get("/api/v1/health").json() == {"status": "ok"}
    assert api.get("/api/v1/ready").json() == {"status": "ready"}


def test_openapi_document_and_docs_are_published_under_api_v1(api: Api) -> None:
    document = api.get("/api/v1/openapi.json").json()
    paths = set(document["paths"])
    assert {
        "/api/v1/flow-versions",
        "/api/v1/flow-runs",
        "/api/v1/flow-runs/{flow_run_id}/state",
        "/api/v1/flow-runs/{flow_run_id}/retry",
        "/api/v1/write-batches",
        "/api/v1/flow-runs/{flow_run_id}/task-runs",
        "/api/v1/flow-runs/{flow_run_id}/task-run-counts",
        "/api/v1/runs/{run_id}/state-events",
        "/api/v1/flow-runs/{flow_run_id}/logs",
        "/api/v1/flow-runs/{flow_run_id}/edges",
        "/api/v1/cache-entries",
        "/api/v1/health",
        "/api/v1/ready",
    } <= paths
    assert "ProblemModel" in document["components"]["schemas"]
    assert api.get("/api/v1/docs").status_code == 200


def test_flow_runs_page_with_next_offset_and_filters(api: Api, backend: LocalBackend) -> None:
    ids = make_runs(backend, 5)[::-1]
    first = api.get("/api/v1/flow-runs", params={"limit": 2}).json()
    assert [r["id"] for r in first["items"]] == ids[:2] and first["next_offset"] == 2
    last = api.get("/api/v1/flow-runs", params={"limit": 2, "offset": 4}).json()
    assert [r["id"] for r in last["items"]] == ids[4:] and last["next_offset"] is None
    assert api.get("/api/v1/flow-runs").json()["next_offset"] is None
    backend.set_flow_run_state(ids[0], S.RUNNING)
    filtered = api.get("/api/v1/flow-runs", params=[("state", "RUNNING"), ("state", "FAILED")])
    assert [r["id"] for r in filtered.json()["items"]] == [ids[0]]


def test_logs_page_with_an_after_id_cursor(api: Api, backend: LocalBackend) -> None:
    [run_id] = make_runs(backend, 1)
    backend.write(WriteBatch(logs=[LogRow(run_id, None, 20, "l", f"{i}", T0) for i in range(5)]))
    first = api.get(f"/api/v1/flow-runs/{run_id}/logs", params={"limit": 3}).json()
    assert [line["message"] for line in first["items"]] == ["0", "1", "2"]
    rest = api.get(
        f"/api/v1/flow-runs/{run_id}/logs", params={"after_id": first["next_after_id"]}
    ).json()
    assert [line["message"] for line in rest["items"]] == ["3", "4"]
    assert rest["next_after_id"] is None


def test_cache_entries_carry_result_bytes_as_base64(api: Api, backend: LocalBackend) -> None:
    data = b"\x80\x05\x95pickled\x00"
    encoded = base64.b64encode(data).decode()
    entry = {
        "key": "k/with?odd&chars",
        "result": {"serializer": "pickle", "storage": "inline", "data": encoded},
    }
    assert api.post("/api/v1/cache-entries", json=entry).status_code == 204
    read = api.get(
        "/api/v1/cache-entries", params={"key": "k/with?odd&chars", "now": T0.isoformat()}
    )
    assert read.json()["result"]["data"] == encoded
    stored = backend.read_cache("k/with?odd&chars", T0)
    assert stored is not None and stored.data == data
    missing = api.get("/api/v1/cache-entries", params={"key": "nope", "now": T0.isoformat()})
    assert missing.json() == {"result": None}


class _Trap:
    """Unpickling this would create `path`."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.path), "w"))


def test_the_server_stores_pickled_results_without_unpickling_them(
    api: Api, backend: LocalBackend, tmp_path: Path
) -> None:
    trap = tmp_path / "unpickled"
    data = pickle.dumps(_Trap(trap))
    [run_id] = make_runs(backend, 1)
    result = {"serializer": "pickle", "storage": "inline", "data": base64.b64encode(data).decode()}
    for state in ("RUNNING", "COMPLETED"):
        body = {"state": state, "result": result}
        assert api.post(f"/api/v1/flow-runs/{run_id}/state", json=body).status_code == 200
    read = api.get(f"/api/v1/flow-runs/{run_id}").json()["result"]
    assert base64.b64decode(read["data"]) == data
    assert not trap.exists()


def test_a_repeated_idempotency_key_does_not_write_twice(api: Api, backend: LocalBackend) -> None:
    [run_id] = make_runs(backend, 1)
    line = {
        "flow_run_id": run_id,
        "task_run_id": None,
        "level": 20,
        "logger": "l",
        "message": "once",
        "timestamp": T0.isoformat(),
    }
    headers = {"Idempotency-Key": "batch-1"}
    for _ in range(2):
        response = api.post("/api/v1/write-batches", json={"logs": [line]}, headers=headers)
        assert response.status_code == 204
    assert [entry.message for entry in backend.read_logs(run_id)] == ["once"]
    api.post("/api/v1/write-batches", json={"logs": [line]}, headers={"Idempotency-Key": "b-2"})
    assert len(backend.read_logs(run_id)) == 2
