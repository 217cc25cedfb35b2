"""Script in names and log lines is shown as text: a real run whose flow name, task name and
log lines carry `<img onerror>` and `<script>` markup is opened in the browser on the runs
list, the run page (graph, task list, logs) and the deployments page; no script runs and the
markup reads literally (Promise 7)."""

from __future__ import annotations

from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from .conftest import UiServer, _cli

FLOW_NAME = '<img src=x onerror="window.__xss=(window.__xss||0)+1">flow'
TASK_NAME = '<img src=x onerror="window.__xss=(window.__xss||0)+1">task'
LOG_LINE = '<script>window.__xss=(window.__xss||0)+1</script><img src=x onerror="window.__xss=1">'

HOSTILE = f'''
from legato import flow, get_run_logger, task


@task(name={TASK_NAME!r})
def hostile_task(workdir: str) -> int:
    get_run_logger().info({LOG_LINE!r})
    return 1


@flow(name={FLOW_NAME!r})
def hostile(workdir: str = "") -> int:
    return hostile_task(workdir)
'''


def _no_script_ran(page: Page) -> None:
    assert page.evaluate("window.__xss") is None, "markup from a run was executed"
    assert page.locator("img[src='x']").count() == 0, "markup from a run became an element"


def test_markup_in_flow_task_and_log_text_is_shown_literally_and_never_runs(
    page: Page, ui_server: UiServer, tmp_path: Path
) -> None:
    flows = tmp_path / "hostile.py"
    flows.write_text(HOSTILE)
    client = tmp_path / "client"
    client.mkdir()
    deployment = _cli(client, ui_server.api, "deploy", f"{flows}:hostile", "--name", "xss",
                      "-p", f"workdir={ui_server.workdir}")
    created = httpx.post(f"{ui_server.api}/deployments/{deployment['id']}/runs", json={},
                         timeout=10)
    assert created.status_code == 201, created.text
    run_id = created.json()["id"]
    run = ui_server.wait_for_run(run_id, "COMPLETED")
    assert run["flow_name"] == FLOW_NAME

    page.goto("/runs")
    expect(page.get_by_test_id("runs-table")).to_contain_text(FLOW_NAME)
    _no_script_ran(page)

    page.goto(f"/runs/{run_id}")
    expect(page.locator("body")).to_contain_text(FLOW_NAME)
    expect(page.get_by_test_id("run-graph")).to_have_attribute("data-node-count", "1")
    _no_script_ran(page)
    page.get_by_role("tab", name="Logs").click()
    expect(page.get_by_label("Task")).to_contain_text(TASK_NAME)
    expect(page.get_by_test_id("log-lines")).to_contain_text(LOG_LINE)
    assert page.get_by_test_id("log-lines").locator("script, img").count() == 0
    _no_script_ran(page)

    page.goto("/deployments")
    expect(page.locator("body")).to_contain_text(FLOW_NAME)
    _no_script_ran(page)
