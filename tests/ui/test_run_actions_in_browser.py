"""The run actions of the web UI in headless Chromium against a real server, worker and run
processes: cancel a running run (its process ends), retry a failed run from failure (only the
failed task runs again), retry a chosen task and everything downstream, resume a suspended run
from its input form (the flow receives the input) and mark a task succeeded or failed. Each
outcome is checked through the API and the files the flows write, not only on the page."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from .conftest import UiServer

FINAL = ("COMPLETED", "FAILED", "CRASHED", "CANCELLED")


def start_run(ui_server: UiServer, flow: str, workdir: Path, **parameters: Any) -> str:
    """A run of the flow's deployment with its own work folder; returns the run id."""
    response = httpx.post(
        f"{ui_server.api}/deployments/{ui_server.deployments[flow]}/runs",
        json={"parameters": {"workdir": str(workdir), **parameters}},
        timeout=10,
    )
    response.raise_for_status()
    run_id: str = response.json()["id"]
    return run_id


def task_runs(ui_server: UiServer, run_id: str) -> dict[str, dict[str, Any]]:
    """The run's task runs by task key."""
    page = ui_server.get(f"/flow-runs/{run_id}/task-runs", limit=500)
    return {task["task_key"]: task for task in page["items"]}


def calls(workdir: Path) -> list[str]:
    log = workdir / "calls.log"
    return log.read_text().splitlines() if log.exists() else []


def wait_until(what: str, check: Any, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout:g} s")
        time.sleep(0.1)


def process_gone(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"  # exited, not yet reaped


def open_task(page: Page, task_key: str) -> None:
    """Select a task the way a person does: its row in the timeline."""
    page.get_by_role("tab", name="Timeline").click()
    page.get_by_test_id("gantt").locator("text", has_text=task_key).click()
    expect(page.get_by_role("complementary", name="Selected task")).to_contain_text(task_key)


def test_cancel_a_running_run_ends_it_cancelled_and_stops_its_process(
    page: Page, ui_server: UiServer, tmp_path: Path
) -> None:
    run_id = start_run(ui_server, "slow", tmp_path)
    line = wait_until("the run noting its pid", lambda: [c for c in calls(tmp_path) if c.startswith("pid ")])
    pid = int(line[0].split()[1])
    assert not process_gone(pid)
    page.goto(f"/runs/{run_id}")
    expect(page.locator("h1 .badge")).to_have_text("RUNNING")
    page.get_by_role("button", name="Cancel run").click()
    expect(page.get_by_role("status")).to_have_text("Cancel: done.")
    expect(page.locator("h1 .badge")).to_have_text("CANCELLED", timeout=60_000)
    assert ui_server.wait_for_run(run_id, *FINAL)["state"] == "CANCELLED"
    wait_until(f"the run's process {pid} ending", lambda: process_gone(pid), timeout=30)
    expect(page.get_by_role("button", name="Cancel run")).to_have_count(0)


def test_retry_from_failure_reruns_only_the_failed_task(
    page: Page, ui_server: UiServer, tmp_path: Path
) -> None:
    run_id = start_run(ui_server, "flaky", tmp_path)
    page.goto(f"/runs/{run_id}")
    expect(page.locator("h1 .badge")).to_have_text("FAILED", timeout=60_000)
    before = task_runs(ui_server, run_id)
    assert before["check-0"]["state"] == "FAILED"
    assert before["prepare-0"]["state"] == "COMPLETED"
    assert calls(tmp_path) == ["prepare", "check"]

    (tmp_path / "fixed").touch()
    page.get_by_role("button", name="Retry from failure").click()
    expect(page.locator("h1 .badge")).to_have_text("COMPLETED", timeout=60_000)
    after = task_runs(ui_server, run_id)
    # The completed task keeps its task run and attempt; only the failed one ran again.
    for field in ("id", "attempts", "start_time", "end_time", "state"):
        assert after["prepare-0"][field] == before["prepare-0"][field], field
    assert after["check-0"]["id"] == before["check-0"]["id"]
    assert after["check-0"]["state"] == "COMPLETED"
    assert calls(tmp_path) == ["prepare", "check", "check"]
    run = ui_server.get(f"/flow-runs/{run_id}")
    assert run["run_count"] == 2
    page.get_by_role("tab", name="Result").click()
    expect(page.get_by_test_id("run-result")).to_have_text("2")


def test_retry_a_chosen_task_reruns_it_and_everything_downstream(
    page: Page, ui_server: UiServer, tmp_path: Path
) -> None:
    run_id = start_run(ui_server, "chain", tmp_path)
    page.goto(f"/runs/{run_id}")
    expect(page.locator("h1 .badge")).to_have_text("COMPLETED", timeout=60_000)
    before = task_runs(ui_server, run_id)
    assert sorted(calls(tmp_path)) == ["aside", "first", "second", "third"]

    open_task(page, "second-0")
    page.get_by_role("button", name="Retry this task and downstream").click()
    expect(page.get_by_role("status")).to_have_text("Retry from task: done.")
    assert ui_server.wait_for_run(run_id, "COMPLETED", "FAILED", "CRASHED", timeout=60)[
        "run_count"] == 2
    expect(page.locator("h1 .badge")).to_have_text("COMPLETED")
    after = task_runs(ui_server, run_id)
    for untouched in ("first-0", "aside-0"):
        assert after[untouched]["start_time"] == before[untouched]["start_time"], untouched
        assert after[untouched]["attempts"] == before[untouched]["attempts"], untouched
    for rerun in ("second-0", "third-0"):
        assert after[rerun]["id"] == before[rerun]["id"]
        assert after[rerun]["start_time"] != before[rerun]["start_time"], rerun
        assert after[rerun]["state"] == "COMPLETED"
        events = ui_server.get(f"/runs/{after[rerun]['id']}/state-events", limit=50)["items"]
        assert any(e["forced"] and "retry from task second-0" in (e["message"] or "")
                   for e in events), events
    assert sorted(calls(tmp_path)) == ["aside", "first", "second", "second", "third", "third"]


def test_resume_a_suspended_run_from_its_input_form_hands_the_flow_the_input(
    page: Page, ui_server: UiServer, tmp_path: Path
) -> None:
    run_id = start_run(ui_server, "suspended", tmp_path)
    page.goto(f"/runs/{run_id}")
    expect(page.locator("h1 .badge")).to_have_text("PAUSED", timeout=60_000)
    heading = page.get_by_role("heading", name="This run is suspended")
    panel = page.locator("section", has=heading)
    expect(panel).to_contain_text("Approve the factor.")
    factor = panel.get_by_label("factor")
    factor.fill("three")
    expect(panel.get_by_role("alert")).to_have_count(1)
    factor.fill("3")
    panel.get_by_label("approved").select_option("true")
    panel.get_by_role("button", name="Resume").click()
    expect(page.locator("h1 .badge")).to_have_text("COMPLETED", timeout=60_000)
    assert calls(tmp_path) == ["input approved=True factor=3"]
    page.get_by_role("tab", name="Result").click()
    expect(page.get_by_test_id("run-result")).to_have_text("21")
    # The task before the suspension ran once: the resumed run reused its result.
    assert task_runs(ui_server, run_id)["base-0"]["attempts"] == 1


def test_the_task_panel_shows_the_result_and_marks_a_task_failed_then_succeeded(
    page: Page, ui_server: UiServer, tmp_path: Path
) -> None:
    run_id = start_run(ui_server, "chain", tmp_path)
    page.goto(f"/runs/{run_id}")
    expect(page.locator("h1 .badge")).to_have_text("COMPLETED", timeout=60_000)
    task_id = task_runs(ui_server, run_id)["third-0"]["id"]
    open_task(page, "third-0")
    panel = page.get_by_role("complementary", name="Selected task")
    # The panel reads the task's own record: its result (first 1, second 2, third 3).
    expect(panel.get_by_test_id("task-result")).to_have_text("3")

    panel.get_by_role("button", name="Mark failed").click()
    expect(page.get_by_role("status")).to_have_text("Mark failed: done.")
    expect(panel.locator(".badge").first).to_have_text("FAILED")
    expect(panel.locator(".state-message")).to_have_text("marked failed in the UI")
    assert ui_server.get(f"/task-runs/{task_id}")["state"] == "FAILED"

    panel.get_by_role("button", name="Mark succeeded").click()
    expect(page.get_by_role("status")).to_have_text("Mark succeeded: done.")
    expect(panel.locator(".badge").first).to_have_text("COMPLETED")
    assert ui_server.get(f"/task-runs/{task_id}")["state"] == "COMPLETED"
    events = ui_server.get(f"/runs/{task_id}/state-events", limit=50)["items"]
    marks = [(e["to_state"], e["message"], e["forced"]) for e in events if e["forced"]]
    assert marks == [("FAILED", "marked failed in the UI", True),
                     ("COMPLETED", "marked succeeded in the UI", True)]
