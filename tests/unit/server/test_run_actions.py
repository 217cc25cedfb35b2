"""Run actions of the UI on SQLite and PostgreSQL: delete, bulk cancel/retry/delete, mark a
task run, retry from a chosen task, filtered and downloaded logs."""

from __future__ import annotations

from datetime import timedelta

from legato.core.records import LogRow, WriteBatch
from legato.core.states import StateType as S

from .conftest import VIEWS_T0 as T0
from .conftest import Views
from .views_data import add_run, add_tasks


def states_by_key(views: Views, run_id: str) -> dict[str, str]:
    graph = views.get_json(f"/flow-runs/{run_id}/graph")
    return {task["task_key"]: task["state"] for task in graph["tasks"]}


def test_delete_removes_a_finished_run_and_refuses_a_running_one(views: Views) -> None:
    done = add_run(views.backend)
    [task] = add_tasks(views.backend, done, [("a-0", S.COMPLETED, 1.0)])
    running = add_run(views.backend, state=S.RUNNING)
    assert views.api.request("DELETE", f"/api/v1/flow-runs/{done}").status_code == 204
    assert views.api.get(f"/api/v1/flow-runs/{done}").status_code == 404
    assert views.api.get(f"/api/v1/task-runs/{task}").status_code == 404
    assert views.backend.read_state_events(task) == []
    refused = views.api.request("DELETE", f"/api/v1/flow-runs/{running}")
    assert refused.status_code == 409 and "cancel it first" in refused.json()["detail"]
    assert views.api.request("DELETE", "/api/v1/flow-runs/nope").status_code == 404


def test_bulk_reports_each_run_on_its_own(views: Views) -> None:
    running = add_run(views.backend, state=S.RUNNING)
    done = add_run(views.backend)
    failed = add_run(views.backend, state=S.FAILED)
    cancelled = views.api.post(
        "/api/v1/flow-runs/bulk", json={"action": "cancel", "ids": [running, done, "nope"]}
    ).json()["results"]
    assert [(r["id"], r["ok"]) for r in cancelled] == [(running, True), (done, False),
                                                      ("nope", False)]
    assert "already COMPLETED" in cancelled[1]["detail"]
    assert views.backend.read_flow_run(running).state is S.CANCELLING
    retried = views.api.post(
        "/api/v1/flow-runs/bulk", json={"action": "retry", "ids": [failed]}
    ).json()["results"]
    assert retried == [{"id": failed, "ok": True, "detail": None}]
    assert views.backend.read_flow_run(failed).state is S.SCHEDULED
    deleted = views.api.post(
        "/api/v1/flow-runs/bulk", json={"action": "delete", "ids": [done, running]}
    ).json()["results"]
    assert [r["ok"] for r in deleted] == [True, False]
    bad = views.api.post("/api/v1/flow-runs/bulk", json={"action": "explode", "ids": [done]})
    assert bad.status_code == 422


def test_mark_a_task_run_records_the_forced_change_with_its_reason(views: Views) -> None:
    run = add_run(views.backend, state=S.FAILED)
    [task] = add_tasks(views.backend, run, [("a-0", S.FAILED, 1.0)])
    response = views.api.post(
        f"/api/v1/task-runs/{task}/state", json={"state": "COMPLETED", "message": "fixed by hand"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "COMPLETED"
    assert views.get_json(f"/task-runs/{task}")["state_message"] == "fixed by hand"
    last = views.backend.read_state_events(task)[-1]
    assert (last.from_state, last.to_state, last.forced, last.message) == (
        S.FAILED, S.COMPLETED, True, "fixed by hand"
    )
    refused = views.api.post(f"/api/v1/task-runs/{task}/state", json={"state": "RUNNING"})
    assert refused.status_code == 422
    unknown = views.api.post("/api/v1/task-runs/nope/state", json={"state": "FAILED"})
    assert unknown.status_code == 404


def test_retry_from_a_task_resets_it_and_everything_downstream(views: Views) -> None:
    run = add_run(views.backend)
    add_tasks(
        views.backend, run,
        [("a-0", S.COMPLETED, 1), ("b-1", S.COMPLETED, 1), ("c-2", S.COMPLETED, 1),
         ("d-3", S.COMPLETED, 1), ("e-4", S.COMPLETED, 1)],
        edges=[(0, 1), (1, 2), (0, 3), (1, 4), (2, 4)],
    )
    response = views.api.post(f"/api/v1/flow-runs/{run}/retry", json={"from_task_key": "b-1"})
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "SCHEDULED"
    assert states_by_key(views, run) == {
        "a-0": "COMPLETED", "b-1": "PENDING", "c-2": "PENDING", "d-3": "COMPLETED",
        "e-4": "PENDING",
    }
    [event] = views.backend.read_state_events(run)[-1:]
    assert event.forced and event.message == "re-run requested: retry from task b-1"


def test_retry_from_a_task_refuses_unknown_keys_and_unfinished_runs(views: Views) -> None:
    done = add_run(views.backend)
    add_tasks(views.backend, done, [("a-0", S.COMPLETED, 1)])
    unknown = views.api.post(f"/api/v1/flow-runs/{done}/retry", json={"from_task_key": "zz"})
    assert unknown.status_code == 422 and "zz" in unknown.json()["detail"]
    running = add_run(views.backend, state=S.RUNNING)
    busy = views.api.post(f"/api/v1/flow-runs/{running}/retry", json={"from_task_key": "a-0"})
    assert busy.status_code == 409
    assert states_by_key(views, done) == {"a-0": "COMPLETED"}


def test_logs_filter_by_level_and_text_and_download_as_text(views: Views) -> None:
    run = add_run(views.backend)
    lines = [(10, "debugging"), (20, "loaded 5 rows"), (40, "Disk FULL"), (30, "100% done")]
    views.backend.write(WriteBatch(logs=[
        LogRow(run, None, level, "legato.flow", message, T0 + timedelta(seconds=i))
        for i, (level, message) in enumerate(lines)
    ]))

    def messages(**params: object) -> list[str]:
        page = views.get_json(f"/flow-runs/{run}/logs", **params)
        return [item["message"] for item in page["items"]]

    assert messages() == [message for _, message in lines]
    assert messages(level="WARNING") == ["Disk FULL", "100% done"]
    assert messages(level="40") == ["Disk FULL"]
    assert messages(q="full") == ["Disk FULL"]
    assert messages(q="0%") == ["100% done"]
    assert views.api.get(f"/api/v1/flow-runs/{run}/logs", params={"level": "LOUD"}).status_code == 422
    download = views.api.get(f"/api/v1/flow-runs/{run}/logs/download")
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/plain")
    text = download.text.splitlines()
    assert len(text) == 4 and text[2].endswith("ERROR    legato.flow Disk FULL")
    assert views.api.get("/api/v1/flow-runs/nope/logs/download").status_code == 404
