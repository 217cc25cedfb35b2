"""The UI's overview pages on SQLite and PostgreSQL: dashboard, calendar, flows with their
versions and the diff between two versions."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from legato.core.states import StateType as S

from .conftest import VIEWS_T0 as T0
from .conftest import Views
from .views_data import add_run


def test_dashboard_counts_runs_per_hour_and_lists_failing_and_running(views: Views) -> None:
    views.clock.advance(3 * 3600)  # now = T0 + 3 h
    ok = add_run(views.backend, created=T0 + timedelta(minutes=10))
    failed = add_run(views.backend, created=T0 + timedelta(minutes=20), state=S.FAILED)
    running = add_run(views.backend, created=T0 + timedelta(hours=2, minutes=5),
                      state=S.RUNNING)
    add_run(views.backend, created=T0 - timedelta(days=3), state=S.FAILED)  # out of range
    worker = views.backend.register_worker("w1", ["default"])
    dashboard = views.get_json("/dashboard")
    counts = {row["start"][:16]: row["counts"] for row in dashboard["counts_by_state_over_time"]}
    assert counts == {"2026-03-01T12:00": {"COMPLETED": 1, "FAILED": 1},
                      "2026-03-01T14:00": {"RUNNING": 1}}
    assert [r["id"] for r in dashboard["failing"]] == [failed]
    assert [r["id"] for r in dashboard["running"]] == [running]
    assert dashboard["late"] == [] and dashboard["upcoming"] == []
    assert [(w["id"], w["status"]) for w in dashboard["workers"]] == [(worker.id, "online")]
    assert ok not in {r["id"] for r in dashboard["failing"] + dashboard["running"]}
    daily = views.get_json("/dashboard", bucket="day",
                           since=(T0 - timedelta(days=5)).isoformat())
    assert [row["counts"] for row in daily["counts_by_state_over_time"]] == [
        {"FAILED": 1}, {"COMPLETED": 1, "FAILED": 1, "RUNNING": 1}
    ]
    too_long = views.api.get("/api/v1/dashboard",
                             params={"since": (T0 - timedelta(days=400)).isoformat()})
    assert too_long.status_code == 422


def test_calendar_counts_runs_per_day_of_the_year(views: Views) -> None:
    add_run(views.backend, created=T0)
    add_run(views.backend, created=T0 + timedelta(hours=1), state=S.FAILED)
    add_run(views.backend, created=T0 + timedelta(days=2))
    add_run(views.backend, created=T0.replace(year=2025))
    calendar = views.get_json("/calendar", year=2026)
    assert calendar["days"] == [
        {"date": "2026-03-01", "counts": {"COMPLETED": 1, "FAILED": 1}},
        {"date": "2026-03-03", "counts": {"COMPLETED": 1}},
    ]
    assert calendar["upcoming"] == []


def test_flows_versions_and_their_diff(views: Views) -> None:
    sources = ["def f():\n    return 1\n", "def f():\n    return 2\n"]
    ids = [
        views.backend.register_flow_version(
            "etl", source, hashlib.sha256(source.encode()).hexdigest(), "etl.py:f"
        )
        for source in sources
    ]
    run = add_run(views.backend, flow_name="etl")
    add_run(views.backend, flow_name="report")
    flows = views.get_json("/flows")["items"]
    assert [(f["name"], f["versions"]) for f in flows] == [("etl", 2), ("report", 0)]
    assert flows[0]["last_run"]["id"] == run
    versions = views.get_json("/flows/etl/versions")["items"]
    assert {v["id"] for v in versions} == set(ids)
    diff = views.get_json(f"/flow-versions/{ids[0]}/diff/{ids[1]}")["diff"]
    assert "-    return 1\n+    return 2\n" in diff
    assert views.api.get("/api/v1/flows/nope/versions").status_code == 404
    assert views.api.get(f"/api/v1/flow-versions/{ids[0]}/diff/nope").status_code == 404
