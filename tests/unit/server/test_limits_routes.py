"""The work-queue and concurrency-limit API over a LocalBackend: create, change, pause and
list queues; set, read (in use / limit / holders) and delete limits; problem+json errors
for bad input and unknown names."""

from __future__ import annotations

from legato.core.deployments import DeploymentSpec
from legato.orchestration.deployments import create_deployment
from legato.orchestration.local import LocalBackend
from legato.scheduling.deployments import run_deployment

from .conftest import Api


def test_work_queues_are_created_changed_and_listed_by_priority(api: Api) -> None:
    created = api.post("/api/v1/work-queues", json={"name": "etl", "priority": 5})
    assert created.status_code == 201, created.text
    assert created.json()["priority"] == 5 and created.json()["paused"] is False
    api.post("/api/v1/work-queues", json={"name": "bulk", "priority": -1,
                                          "concurrency_limit": 3})
    changed = api.request("PATCH", "/api/v1/work-queues/etl",
                          json={"paused": True, "concurrency_limit": 2})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["paused"], changed.json()["concurrency_limit"]) == (True, 2)
    cleared = api.request("PATCH", "/api/v1/work-queues/etl", json={"concurrency_limit": None})
    assert cleared.json()["concurrency_limit"] is None and cleared.json()["paused"] is True
    listed = api.get("/api/v1/work-queues").json()["items"]
    assert [q["name"] for q in listed] == ["etl", "bulk"]
    assert api.get("/api/v1/work-queues/bulk").json()["concurrency_limit"] == 3


def test_work_queue_errors_are_problems(api: Api) -> None:
    api.post("/api/v1/work-queues", json={"name": "etl"})
    again = api.post("/api/v1/work-queues", json={"name": "etl"})
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    assert "work-queues set" in again.json()["detail"]
    missing = api.request("PATCH", "/api/v1/work-queues/nope", json={"paused": True})
    assert missing.status_code == 404
    bad = api.post("/api/v1/work-queues", json={"name": "x", "priority": 10**9})
    assert bad.status_code == 422
    hostile = api.post("/api/v1/work-queues", json={"name": "a/b"})
    assert hostile.status_code == 422 and "usable name" in hostile.json()["detail"]
    extra = api.request("PATCH", "/api/v1/work-queues/etl", json={"colour": "red"})
    assert extra.status_code == 422


def test_concurrency_limits_show_their_slots(api: Api, backend: LocalBackend) -> None:
    made = api.post("/api/v1/concurrency-limits", json={"tag": "db", "limit": 1})
    assert made.status_code == 200, made.text
    assert (made.json()["in_use"], made.json()["limit"]) == (0, 1)
    now = backend.clock.now()
    deployment = create_deployment(
        backend.db, DeploymentSpec("d", "etl", "f.py:etl", tags=("db",)), now=now)
    run = run_deployment(backend.db, deployment.id, now=now)
    run_deployment(backend.db, deployment.id, now=now)
    worker_id = backend.register_worker("w1", ["default"]).id
    claims = backend.claim_flow_runs(worker_id, ["default"], 5, lease_seconds=30)
    assert [c.flow_run.id for c in claims] == [run.id]
    shown = api.get("/api/v1/concurrency-limits/db").json()
    assert (shown["in_use"], shown["limit"]) == (1, 1)
    assert [h["flow_run_id"] for h in shown["holders"]] == [run.id]
    api.post("/api/v1/concurrency-limits", json={"tag": "*", "limit": 10})
    listed = api.get("/api/v1/concurrency-limits").json()["items"]
    assert [(x["tag"], x["in_use"]) for x in listed] == [("*", 1), ("db", 1)]
    assert api.request("DELETE", "/api/v1/concurrency-limits/db").status_code == 204
    assert api.get("/api/v1/concurrency-limits/db").status_code == 404
    assert api.request("DELETE", "/api/v1/concurrency-limits/db").status_code == 404


def test_concurrency_limit_bodies_are_checked(api: Api) -> None:
    assert api.post("/api/v1/concurrency-limits", json={"tag": "db", "limit": -1}).status_code == 422
    assert api.post("/api/v1/concurrency-limits", json={"tag": "", "limit": 1}).status_code == 422
    assert api.post("/api/v1/concurrency-limits", json={"limit": 1}).status_code == 422
