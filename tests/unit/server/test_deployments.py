"""The deployments API over a LocalBackend: create with a cron schedule and a pinned flow
version, list and find, update, pause and resume, run now, backfill, and problem+json errors."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import select

from legato.orchestration.local import LocalBackend
from legato.store.tables import deployments

from .conftest import Api

SOURCE = "from legato import flow\n\n@flow\ndef hello(name: str = 'world') -> str:\n    return name\n"
SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string", "default": "world"}, "n": {"type": "integer"}},
}


def body(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "flow_name": "hello",
        "name": "hourly",
        "entrypoint": "hello.py:hello",
        "source": SOURCE,
        "source_hash": hashlib.sha256(SOURCE.encode()).hexdigest(),
        "parameters": {"name": "Ada"},
        "parameter_schema": SCHEMA,
        "schedules": [{"cron": "0 * * * *", "timezone": "Europe/Berlin"}],
        "tags": ["team-a"],
    }
    document.update(changes)
    return document


def create(api: Api, **changes: Any) -> dict[str, Any]:
    response = api.post("/api/v1/deployments", json=body(**changes))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def test_create_pins_the_flow_version_and_reads_back(api: Api, backend: LocalBackend) -> None:
    created = create(api)
    assert created["flow_name"] == "hello" and created["name"] == "hourly"
    [schedule] = created["schedules"]
    assert (schedule["kind"], schedule["cron"], schedule["timezone"]) == (
        "cron", "0 * * * *", "Europe/Berlin"
    )
    version = backend.read_flow_version(created["flow_version_id"])
    assert version.source == SOURCE
    assert api.get(f"/api/v1/deployments/{created['id']}").json() == created


def test_list_pages_and_finds_by_flow_and_name(api: Api) -> None:
    ids = [create(api, name=f"d{i}")["id"] for i in range(3)]
    first = api.get("/api/v1/deployments", params={"limit": 2}).json()
    assert [d["id"] for d in first["items"]] == ids[:2] and first["next_offset"] == 2
    rest = api.get("/api/v1/deployments", params={"limit": 2, "offset": 2}).json()
    assert [d["id"] for d in rest["items"]] == ids[2:] and rest["next_offset"] is None
    found = api.get("/api/v1/deployments", params={"flow_name": "hello", "name": "d1"}).json()
    assert [d["id"] for d in found["items"]] == [ids[1]]
    none = api.get("/api/v1/deployments", params={"flow_name": "hello", "name": "zz"}).json()
    assert none["items"] == []


def test_a_second_deployment_with_the_same_name_is_a_409(api: Api) -> None:
    create(api)
    response = api.post("/api/v1/deployments", json=body())
    assert response.status_code == 409
    assert "already has a deployment named 'hourly'" in response.json()["detail"]


def test_bad_cron_is_a_422_problem_naming_the_field_and_the_fix(api: Api) -> None:
    response = api.post(
        "/api/v1/deployments", json=body(schedules=[{"interval": 60}, {"cron": "61 * * * *"}])
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["detail"].startswith("schedules.1.cron: cron expression '61 * * * *'")
    assert "write five fields" in problem["detail"]
    assert problem["errors"][0]["field"] == "schedules.1.cron"
    assert api.get("/api/v1/deployments").json()["items"] == []


def test_bad_time_zone_and_two_kinds_in_one_schedule_are_422(api: Api) -> None:
    zone = api.post("/api/v1/deployments", json=body(schedules=[{"cron": "@daily",
                                                                 "timezone": "Mars/Base"}]))
    assert zone.status_code == 422 and "Mars/Base" in zone.json()["detail"]
    assert zone.json()["errors"][0]["field"] == "schedules.0.timezone"
    both = api.post("/api/v1/deployments", json=body(schedules=[{"cron": "@daily",
                                                                 "interval": 5}]))
    assert both.status_code == 422 and "exactly one of cron" in both.text


def test_default_parameters_are_checked_against_the_schema_sent(api: Api) -> None:
    response = api.post("/api/v1/deployments", json=body(parameters={"n": "three", "x": 1}))
    assert response.status_code == 422
    fields = {error["field"] for error in response.json()["errors"]}
    assert fields == {"n", "x"}


def test_the_schema_is_stored_and_checks_run_now_parameters(api: Api) -> None:
    created = create(api)
    assert created["parameter_schema"] == SCHEMA
    runs = f"/api/v1/deployments/{created['id']}/runs"
    refused = api.post(runs, json={"parameters": {"n": "three"}})
    assert refused.status_code == 422
    assert [error["field"] for error in refused.json()["errors"]] == ["n"]
    assert api.get(runs).json()["items"] == []
    assert api.post(runs, json={"parameters": {"n": 3}}).status_code == 201


def test_an_update_keeps_the_stored_schema_unless_it_sends_one(api: Api) -> None:
    created = create(api)
    path = f"/api/v1/deployments/{created['id']}"
    refused = api.request("PATCH", path, json={"parameters": {"n": "x"}})
    assert refused.status_code == 422
    assert api.get(path).json()["parameters"] == {"name": "Ada"}
    loose = {"type": "object", "properties": {"n": {"type": "string"}}}
    updated = api.request("PATCH", path, json={"parameters": {"n": "x"}, "parameter_schema": loose})
    assert updated.status_code == 200, updated.text
    assert updated.json()["parameter_schema"] == loose


def test_hostile_bodies_are_refused(api: Api) -> None:
    for changes in (
        {"name": "a/b"},
        {"name": " "},
        {"name": "a\nb"},
        {"name": "x" * 256},
        {"tags": ["t"] * 101},
        {"source_hash": "0" * 64},
        {"catchup": "sometimes"},
        {"unknown": 1},
        {"schedules": [{"interval": 0}]},
    ):
        response = api.post("/api/v1/deployments", json=body(**changes))
        assert response.status_code == 422, (changes, response.text)
        assert response.headers["content-type"] == "application/problem+json"


def test_update_pause_resume_and_delete(api: Api) -> None:
    created = create(api)
    path = f"/api/v1/deployments/{created['id']}"
    updated = api.request("PATCH", path, json={"schedules": [{"interval": 300}],
                                               "description": "five minutes"}).json()
    assert updated["schedules"][0]["interval"] == 300 and updated["description"] == "five minutes"
    assert updated["parameters"] == {"name": "Ada"}
    assert api.post(f"{path}/pause").json()["paused"] is True
    assert api.post(f"{path}/resume").json()["paused"] is False
    assert api.request("DELETE", path).status_code == 204
    assert api.get(path).status_code == 404


def test_run_now_makes_a_scheduled_run_with_overrides_once_per_key(api: Api) -> None:
    created = create(api)
    path = f"/api/v1/deployments/{created['id']}/runs"
    run = api.post(path, json={"parameters": {"n": 2}, "idempotency_key": "k1"})
    assert run.status_code == 201
    assert run.json()["state"] == "SCHEDULED"
    assert run.json()["parameters"] == {"name": "Ada", "n": 2}
    again = api.post(path, json={"parameters": {"n": 2}, "idempotency_key": "k1"}).json()
    assert again["id"] == run.json()["id"]
    api.post(path, json={})
    runs = api.get(path).json()["items"]
    assert len(runs) == 2 and all(r["state"] == "SCHEDULED" for r in runs)
    flow_run = api.get(f"/api/v1/flow-runs/{run.json()['id']}").json()
    assert flow_run["flow_version_id"] == created["flow_version_id"]


def test_backfill_makes_one_run_per_slot_and_is_idempotent(api: Api) -> None:
    created = create(api, schedules=[{"cron": "0 * * * *"}])
    path = f"/api/v1/deployments/{created['id']}/backfill"
    window = {"start": "2026-01-01T00:00:00Z", "end": "2026-01-01T06:00:00Z"}
    assert api.post(path, json=window).json() == {"created": 6}
    assert api.post(path, json=window).json() == {"created": 0}
    runs = api.get(f"/api/v1/deployments/{created['id']}/runs").json()["items"]
    assert len(runs) == 6 and all(r["is_backfill"] for r in runs)
    too_many = api.post(path, json={**window, "max_runs": 3})
    assert too_many.status_code == 422 and "max_runs=3" in too_many.json()["detail"]
    naive = api.post(path, json={"start": "2026-01-01T00:00:00", "end": window["end"]})
    assert naive.status_code == 422


def test_unknown_deployment_is_a_404_everywhere(api: Api) -> None:
    for method, suffix in (("GET", ""), ("POST", "/pause"), ("GET", "/runs"), ("DELETE", "")):
        response = api.request(method, f"/api/v1/deployments/nope{suffix}")
        assert response.status_code == 404, (method, suffix)
    run = api.post("/api/v1/deployments/nope/runs", json={})
    assert run.status_code == 404


def test_crash_retries_are_set_on_create_and_update_and_stored_for_the_monitor(
    api: Api, backend: LocalBackend
) -> None:
    created = create(api, crash_retries=2)
    assert created["crash_retries"] == 2
    assert create(api, name="plain")["crash_retries"] == 0
    path = f"/api/v1/deployments/{created['id']}"
    assert api.request("PATCH", path, json={"crash_retries": 1}).json()["crash_retries"] == 1
    assert api.request("PATCH", path, json={"crash_retries": -1}).status_code == 422
    with backend.db.reading() as conn:
        stored = conn.execute(
            select(deployments.c.crash_retries).where(deployments.c.id == created["id"])
        ).scalar_one()
    assert stored == 1
