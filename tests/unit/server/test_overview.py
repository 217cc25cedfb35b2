"""The UI's overview pages on SQLite and PostgreSQL: dashboard, calendar, flows with their
versions and the diff between two versions, work queues with their backlog, and a trigger
switched off and on."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from legato.core.deployments import DeploymentSpec
from legato.core.states import StateType as S
from legato.core.triggers import parse_trigger
from legato.orchestration.deployments import create_deployment
from legato.scheduling import triggers
from legato.scheduling.deployments import run_deployment

from . import views_data
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


def test_calendar_days_follow_the_zone_asked_for_and_the_flow_or_deployment(
    views: Views,
) -> None:
    # T0 is 2026-03-01 12:00 UTC: 18:20 UTC is already 2 March in Kathmandu (UTC+05:45),
    # 04:30 UTC is still 28 February in New York.
    add_run(views.backend, created=T0 + timedelta(hours=6, minutes=20))
    add_run(views.backend, created=T0 - timedelta(hours=7, minutes=30), state=S.FAILED)
    add_run(views.backend, created=T0, flow_name="report")
    by_day = {
        tz: {d["date"]: d["counts"] for d in views.get_json("/calendar", year=2026, tz=tz)["days"]}
        for tz in ("UTC", "Asia/Kathmandu", "America/New_York", "Australia/Lord_Howe")
    }
    assert by_day["UTC"] == {"2026-03-01": {"COMPLETED": 2, "FAILED": 1}}
    assert by_day["Asia/Kathmandu"] == {
        "2026-03-01": {"COMPLETED": 1, "FAILED": 1}, "2026-03-02": {"COMPLETED": 1}
    }
    assert by_day["America/New_York"] == {
        "2026-02-28": {"FAILED": 1}, "2026-03-01": {"COMPLETED": 2}
    }
    # Lord Howe is +11:00 in March and +10:30 in winter: grouped by minutes. 18:20 UTC is
    # 05:20 on 2 March there, 12:00 UTC is 23:00 and 04:30 UTC 15:30 on 1 March.
    assert by_day["Australia/Lord_Howe"] == {
        "2026-03-01": {"COMPLETED": 1, "FAILED": 1}, "2026-03-02": {"COMPLETED": 1}
    }
    etl = views.get_json("/calendar", year=2026, flow_name="etl", tz="Asia/Kathmandu")
    assert etl["time_zone"] == "Asia/Kathmandu"
    assert [d["date"] for d in etl["days"]] == ["2026-03-01", "2026-03-02"]
    assert views.get_json("/calendar", year=2026, flow_name="nope")["days"] == []
    bad = views.api.get("/api/v1/calendar", params={"tz": "Mars/Olympus"})
    assert bad.status_code == 422
    assert "tz='Mars/Olympus'" in bad.json()["detail"]


def test_calendar_upcoming_runs_fall_on_the_day_of_the_zone(views: Views) -> None:
    deployment_id = views_data.create_deployment(views)
    views.clock.advance(6 * 3600 + 20 * 60)  # 18:20 UTC: 00:05 the next day in Kathmandu
    views_data.run_deployment(views, deployment_id)
    utc = views.get_json("/calendar", deployment_id=deployment_id)
    assert utc["upcoming"] == [{"date": "2026-03-01", "n": 1}]
    local = views.get_json("/calendar", deployment_id=deployment_id, tz="Asia/Kathmandu")
    assert local["upcoming"] == [{"date": "2026-03-02", "n": 1}]
    assert views.get_json("/calendar", flow_name="other")["upcoming"] == []


def test_calendar_year_runs_from_local_new_year_to_new_year(views: Views) -> None:
    # 2026-12-31 20:00 UTC is already 2027 in Tokyo.
    add_run(views.backend, created=T0.replace(month=12, day=31, hour=20))
    assert views.get_json("/calendar", year=2026, tz="Asia/Tokyo")["days"] == []
    assert views.get_json("/calendar", year=2027, tz="Asia/Tokyo")["days"] == [
        {"date": "2027-01-01", "counts": {"COMPLETED": 1}}
    ]


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


def test_a_diff_keeps_a_last_line_without_newline_apart_from_the_next(views: Views) -> None:
    ids = [
        views.backend.register_flow_version("etl", source, hashlib.sha256(source.encode()).hexdigest(), None)
        for source in ["a\nb", "a\nc\n"]
    ]
    diff = views.get_json(f"/flow-versions/{ids[0]}/diff/{ids[1]}")["diff"]
    assert diff.splitlines()[-3:] == [" a", "-b", "+c"]
    same = views.get_json(f"/flow-versions/{ids[0]}/diff/{ids[0]}")
    assert same["diff"] == ""


def test_work_queues_count_runs_due_and_later_and_list_queues_nobody_stored(views: Views) -> None:
    now = views.clock.now()
    db = views.backend.db
    fresh = views.get_json("/work-queues", implicit="true")["items"]
    assert [(q["name"], q["stored"]) for q in fresh] == [("default", False)]
    assert views.get_json("/work-queues")["items"] == []
    assert views.api.post("/api/v1/work-queues", json={"name": "etl", "priority": 3}).status_code == 201
    assert views.api.post("/api/v1/work-queues", json={"name": "idle"}).status_code == 201
    on_etl = create_deployment(db, DeploymentSpec("d1", "etl", "f.py:etl", work_queue="etl"), now=now)
    on_default = create_deployment(db, DeploymentSpec("d2", "etl", "f.py:etl"), now=now)
    create_deployment(db, DeploymentSpec("d3", "etl", "f.py:etl", work_queue="bulk"), now=now)
    run_deployment(db, on_etl.id, now=now)
    run_deployment(db, on_etl.id, now=now + timedelta(minutes=1))  # due a minute from now
    run_deployment(db, on_default.id, now=now)
    listed = views.get_json("/work-queues")["items"]
    assert [(q["name"], q["pending_runs"], q["upcoming_runs"], q["stored"]) for q in listed] == [
        ("etl", 1, 1, True), ("idle", 0, 0, True)]
    views.clock.advance(120)
    listed = views.get_json("/work-queues", implicit="true")["items"]
    assert [(q["name"], q["pending_runs"], q["upcoming_runs"], q["stored"]) for q in listed] == [
        ("etl", 2, 0, True), ("idle", 0, 0, True), ("bulk", 0, 0, False), ("default", 1, 0, False)]
    assert listed[3]["priority"] == 0 and listed[3]["paused"] is False


def test_a_trigger_is_switched_off_and_on_and_keeps_its_history(views: Views) -> None:
    now = views.clock.now()
    db = views.backend.db
    deployment = create_deployment(db, DeploymentSpec("d1", "etl", "f.py:etl"), now=now)
    [made] = triggers.set_triggers(db, deployment.id, [parse_trigger({"event": "go"}, "t")], now)
    off = views.api.request("PATCH", f"/api/v1/triggers/{made.id}", json={"enabled": False})
    assert off.status_code == 200, off.text
    assert off.json()["enabled"] is False and off.json()["trigger"]["enabled"] is False
    assert views.get_json("/triggers")["items"][0]["enabled"] is False
    # A redeploy of the list as it is now keeps the trigger (and its switch).
    [kept] = triggers.set_triggers(db, deployment.id, [parse_trigger(off.json()["trigger"], "t")], now)
    assert kept.id == made.id and kept.spec.enabled is False
    on = views.api.request("PATCH", f"/api/v1/triggers/{made.id}", json={"enabled": True})
    assert on.json()["enabled"] is True and "enabled" not in on.json()["trigger"]
    assert on.json()["id"] == made.id
    missing = views.api.request("PATCH", f"/api/v1/triggers/{'0' * 32}", json={"enabled": True})
    assert missing.status_code == 404 and "GET /api/v1/triggers" in missing.json()["detail"]
    bad = views.api.request("PATCH", f"/api/v1/triggers/{made.id}", json={"enabled": "maybe"})
    assert bad.status_code == 422
