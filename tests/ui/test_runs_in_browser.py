"""The web UI in headless Chromium against a real `legato server` with real runs: trigger a
deployment from its form, watch the graph go green, read a task's logs; cancel a running run;
retry a failed run from failure; resume a paused run with input."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from .conftest import UiServer

GREEN = re.compile(r"^(\d+ COMPLETED)$")


def run_id_of(page: Page) -> str:
    page.wait_for_url(re.compile(r"/runs/[0-9a-f-]+"))
    return page.url.rsplit("/", 1)[-1].split("?")[0]


def test_a_deployment_run_from_its_form_goes_green_and_shows_its_task_logs(
    page: Page, ui_server: UiServer
) -> None:
    page.goto("/deployments")
    # Exactly this deployment: other tests deploy pipeline/uiq-..., pipeline/uitrig-...
    row = page.locator("tr", has=page.get_by_role("link", name="pipeline/ui", exact=True))
    row.get_by_role("link", name="Run…").click()
    field = page.get_by_label(re.compile("^n"))
    expect(field).to_have_value("2")
    field.fill("two")
    expect(page.get_by_role("alert")).to_have_text('n must be a whole number, not "two".')
    field.fill("4")
    expect(page.get_by_role("alert")).to_have_count(0)
    page.get_by_role("button", name="Start run").click()
    run_id = run_id_of(page)

    graph = page.get_by_test_id("run-graph")
    expect(graph).to_have_attribute("data-states", GREEN, timeout=60_000)
    # extract, the four mapped squares collapsed into one node, load
    expect(graph).to_have_attribute("data-node-count", "3")
    expect(page.locator("h1 .badge")).to_have_text("COMPLETED")
    assert ui_server.get(f"/flow-runs/{run_id}")["parameters"]["n"] == 4

    page.get_by_role("tab", name="Logs").click()
    page.get_by_label("Task").select_option(label="load-0")
    lines = page.get_by_test_id("log-lines")
    expect(lines).to_contain_text("loaded 4 rows, total 14 <b>bold?</b>")
    assert "task=" in page.url
    # ANSI colour codes become coloured text, never raw escapes; markup stays text.
    expect(lines.locator("span", has_text=re.compile("^14$"))).to_have_css("color", "rgb(34, 165, 91)")
    assert lines.locator("b").count() == 0


def test_the_runs_page_lists_runs_filters_by_state_and_shows_api_problems(
    page: Page, ui_server: UiServer
) -> None:
    page.goto("/runs?state=COMPLETED")
    expect(page.get_by_test_id("runs-table")).to_be_visible()
    expect(page.get_by_label("Select all")).to_be_visible()
    page.goto("/runs/0190a1b2-c3d4-7000-8000-000000000000")
    problem = page.get_by_role("alert")
    expect(problem).to_contain_text("does not exist; check the id")
    page.goto("/no/such/page")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()


def test_theme_and_keyboard_navigation(page: Page, ui_server: UiServer) -> None:
    page.goto("/")
    page.get_by_test_id("theme-toggle").click()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    page.reload()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    page.keyboard.press("g")
    page.keyboard.press("r")
    expect(page).to_have_url(re.compile(r"/runs$"))
    page.keyboard.press("g")
    page.keyboard.press("p")
    expect(page.get_by_role("heading", name="Deployments")).to_be_visible()
