"""The grid, calendar and task duration views in headless Chromium against a real server with
real runs of the `pipeline` deployment: the grid opens a task run by keyboard and by click
and keeps its selection in the URL; the calendar counts runs on the browser's local days and
opens the runs of a day; the duration chart follows the chosen task."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from .conftest import UiServer, open_page

ZONE = "Asia/Kathmandu"  # UTC+05:45: days that no whole-hour bucketing could get right


@pytest.fixture(scope="module")
def pipeline_runs(ui_server: UiServer) -> list[str]:
    """Three finished runs of the pipeline deployment, with 2, 3 and 2 mapped squares."""
    deployment = ui_server.deployments["pipeline"]
    ids = []
    for n in (2, 3, 2):
        response = httpx.post(f"{ui_server.api}/deployments/{deployment}/runs",
                              json={"parameters": {"n": n}}, timeout=10)
        response.raise_for_status()
        ids.append(response.json()["id"])
    for run_id in ids:
        ui_server.wait_for_run(run_id, "COMPLETED")
    return ids


@pytest.fixture
def zoned_page(browser: Browser, ui_server: UiServer) -> Iterator[Page]:
    with open_page(browser, ui_server.base, timezone_id=ZONE) as page:
        yield page


def _query(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def _click_cell(page: Page, row: int, col: int) -> None:
    canvas = page.get_by_test_id("grid-canvas")
    layout = json.loads(canvas.get_attribute("data-layout") or "{}")
    canvas.click(position={"x": layout["label"] + (col + 0.5) * layout["cellWidth"],
                           "y": layout["header"] + (row + 0.5) * layout["rowHeight"]})


def test_grid_keeps_its_selection_in_the_url_and_opens_task_runs(
    page: Page, ui_server: UiServer, pipeline_runs: list[str]
) -> None:
    deployment = ui_server.deployments["pipeline"]
    grid: dict[str, Any] = ui_server.get(f"/deployments/{deployment}/grid")
    runs = [r["id"] for r in grid["runs"]]
    assert runs[-3:] == pipeline_runs
    page.goto(f"/deployments/{deployment}/grid")
    canvas = page.get_by_test_id("grid-canvas")
    expect(canvas).to_have_attribute("data-drawn", re.compile(r"^\d+$"))
    expect(canvas).to_have_attribute("data-runs", str(len(runs)))
    expect(canvas).to_have_attribute("data-tasks", str(len(grid["tasks"])))

    # Keyboard: the first arrow selects the newest run's first task, the next moves down.
    page.get_by_role("application").focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    second = grid["tasks"][1]
    expect(canvas).to_have_attribute("data-selected", re.compile(f"^{re.escape(second)} in "))
    assert _query(page) == {"run": [runs[-1]], "task": [second]}
    expect(page.get_by_test_id("duration-chart")).to_have_attribute("data-task", second)

    # The URL is the selection: a reload (or a shared link) selects the same cell.
    page.reload()
    expect(canvas).to_have_attribute("data-selected", re.compile(f"^{re.escape(second)} in "))
    page.get_by_role("application").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(f"/runs/{runs[-1]}\\?task="))
    expect(page.get_by_role("complementary", name="Selected task")).to_contain_text(second)
    page.go_back()
    expect(canvas).to_have_attribute("data-selected", re.compile(f"^{re.escape(second)} in "))

    # A click on a cell opens that task run: first task of the oldest run in the grid.
    _click_cell(page, 0, 0)
    page.wait_for_url(re.compile(f"/runs/{runs[0]}\\?task="))
    task_id = _query(page)["task"][0]
    expected = ui_server.get(f"/flow-runs/{runs[0]}/graph")["tasks"]
    assert [t["task_key"] for t in expected if t["id"] == task_id] == [grid["tasks"][0]]


def test_flow_grid_and_its_links_from_the_deployment_page(
    page: Page, ui_server: UiServer, pipeline_runs: list[str]
) -> None:
    deployment = ui_server.deployments["pipeline"]
    page.goto(f"/deployments/{deployment}")
    page.get_by_role("link", name="Grid of flow pipeline").click()
    expect(page).to_have_url(re.compile(r"/flows/pipeline/grid$"))
    canvas = page.get_by_test_id("grid-canvas")
    flow_runs = ui_server.get("/flows/pipeline/grid")["runs"]
    expect(canvas).to_have_attribute("data-runs", str(len(flow_runs)))
    page.get_by_role("link", name="Task durations").click()
    expect(page).to_have_url(re.compile(r"/flows/pipeline/durations$"))
    expect(page.get_by_test_id("durations-table")).to_be_visible()


def test_durations_chart_follows_the_chosen_task(
    page: Page, ui_server: UiServer, pipeline_runs: list[str]
) -> None:
    deployment = ui_server.deployments["pipeline"]
    series = ui_server.get("/task-durations", deployment_id=deployment)["tasks"]
    page.goto(f"/deployments/{deployment}/durations")
    table = page.get_by_test_id("durations-table")
    expect(table.locator("tbody tr")).to_have_count(len(series))
    wanted = next(s for s in series if s["task_key"].startswith("load"))
    table.get_by_role("button", name=wanted["task_key"], exact=True).click()
    assert _query(page)["task"] == [wanted["task_key"]]
    chart = page.get_by_test_id("duration-chart")
    expect(chart).to_have_attribute("data-task", wanted["task_key"])
    known = sum(1 for d in wanted["durations"] if d is not None)
    expect(chart).to_have_attribute("data-count", str(known))


def test_calendar_counts_runs_on_local_days_and_opens_a_day(
    zoned_page: Page, ui_server: UiServer, pipeline_runs: list[str]
) -> None:
    page = zoned_page
    zone = ZoneInfo(ZONE)
    runs = httpx.get(f"{ui_server.api}/flow-runs", params={"limit": 500}, timeout=10).json()["items"]
    per_day = Counter(
        datetime.fromisoformat(r["created"]).astimezone(zone).date().isoformat() for r in runs
    )
    page.goto("/calendar")
    calendar = page.get_by_test_id("calendar")
    expect(calendar).to_have_attribute("data-total", str(len(runs)))
    day, count = max(per_day.items())
    cell = calendar.locator(f"rect[data-date='{day}']")
    expect(cell).to_have_attribute("data-total", str(count))
    cell.click()
    page.wait_for_url(re.compile(r"/runs\?"))
    assert _query(page)["since"] == [f"{day}T00:00"]
    table = page.get_by_test_id("runs-table")
    expect(table.locator("tbody tr")).to_have_count(count)

    # A deployment's calendar counts only its runs; the UTC switch is in the URL.
    deployment = ui_server.deployments["pipeline"]
    page.goto(f"/deployments/{deployment}/calendar?tz=UTC")
    mine = sum(1 for r in runs if r.get("deployment_id") == deployment)
    expect(page.get_by_test_id("calendar")).to_have_attribute("data-total", str(mine))
    expect(page.get_by_label("Time zone")).to_have_value("UTC")
