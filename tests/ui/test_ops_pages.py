"""The web UI's flow-version, YAML-manifest and operations pages in headless Chromium against
a real `legato server`: a version's source and the diff between two versions, the Manifest
tab of a YAML run (with its graph and logs), a work queue paused and resumed, a concurrency
limit's slots held by a running run, the live events list, and triggers switched off and on."""

from __future__ import annotations

import hashlib
import re
import uuid
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from legato.core.ids import new_id

from .conftest import UiServer, _cli

YAML_WORKFLOW = """\
# A two-step DAG the browser tests deploy.
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: ui-manifest-
spec:
  entrypoint: main
  arguments:
    parameters:
      - name: word
        value: manifest-marker
  templates:
    - name: say
      inputs:
        parameters:
          - name: text
      container:
        image: busybox
        command: [echo, "said {{inputs.parameters.text}}"]
    - name: main
      dag:
        tasks:
          - name: first
            template: say
            arguments:
              parameters: [{name: text, value: "{{workflow.parameters.word}}"}]
          - name: second
            depends: first
            template: say
            arguments:
              parameters: [{name: text, value: "after {{tasks.first.outputs.result}}"}]
"""


NEW_SOURCE = "def etl():\n    rows = load()\n    rows = clean(rows)\n    return len(rows)\n"


def _post(server: UiServer, path: str, body: Any) -> Any:
    response = httpx.post(f"{server.api}{path}", json=body, timeout=10)
    assert response.status_code < 300, response.text
    return response.json()


def _deploy(server: UiServer, tmp_path: Path, target: str, *args: str) -> str:
    home = tmp_path / "client"
    home.mkdir(exist_ok=True)
    deployed: dict[str, Any] = _cli(home, server.api, "deploy", target, *args)
    return str(deployed["id"])


def _register(server: UiServer, flow: str, source: str) -> str:
    digest = hashlib.sha256(source.encode()).hexdigest()
    body = {"flow_name": flow, "source": source, "source_hash": digest, "entrypoint": "etl.py:etl"}
    return str(_post(server, "/flow-versions", body)["id"])


def test_a_flow_version_shows_its_source_and_the_diff_to_another_unified_and_side_by_side(
    page: Page, ui_server: UiServer
) -> None:
    flow = f"etl-{uuid.uuid4().hex[:8]}"
    old = _register(ui_server, flow, "def etl():\n    rows = load()\n    return rows\n")
    new = _register(ui_server, flow, NEW_SOURCE)

    page.goto("/flows")
    page.get_by_role("link", name=flow).click()
    versions = page.get_by_test_id("versions-table")
    expect(versions.get_by_role("row")).to_have_count(3)
    # the compare form picks any two versions; reversed, the diff goes the other way
    page.get_by_label("From version", exact=True).select_option(new)
    page.get_by_label("To version", exact=True).select_option(old)
    page.get_by_role("button", name="Show diff").click()
    expect(page).to_have_url(re.compile(rf"/flows/{flow}/diff\?from={new}&to={old}$"))
    expect(page.get_by_test_id("diff").locator("tr.del")).to_have_count(2)
    page.go_back()
    versions.get_by_role("link", name="Diff with previous").click()
    expect(page).to_have_url(re.compile(rf"/flows/{flow}/diff\?from={old}&to={new}$"))
    diff = page.get_by_test_id("diff")
    expect(diff).to_have_attribute("data-view", "unified")
    # old line 3 is removed; new lines 3 and 4 are added, with both line numbers shown
    expect(diff.locator("tr.del")).to_have_count(1)
    expect(diff.locator("tr.del")).to_contain_text("-    return rows")
    expect(diff.locator("tr.add")).to_have_count(2)
    expect(diff.locator("tr.add").first.locator("td").nth(1)).to_have_text("3")
    expect(diff.locator("tr.del").locator("td").first).to_have_text("3")

    page.get_by_role("tab", name="Side by side").click()
    expect(page).to_have_url(re.compile(r"view=split"))
    split = page.get_by_test_id("diff")
    expect(split).to_have_attribute("data-view", "split")
    # the removed line sits beside the first line that replaced it
    row = split.locator("tr", has=page.locator("td.src.del"))
    expect(row.locator("td.src.add")).to_have_text("+    rows = clean(rows)")
    page.reload()  # a shareable URL: the view survives a reload
    expect(page.get_by_test_id("diff")).to_have_attribute("data-view", "split")

    new_hash = hashlib.sha256(NEW_SOURCE.encode()).hexdigest()[:12]
    page.get_by_role("link", name=new_hash, exact=True).click()
    code = page.get_by_test_id("source-code")
    expect(code.locator("tr")).to_have_count(4)
    expect(code.locator("#L3")).to_contain_text("rows = clean(rows)")

    # A run pinned to the old version links from its source to what changed since.
    run = _post(ui_server, "/flow-runs", {
        "id": new_id(), "flow_name": flow, "name": "pinned-run", "parameters": {},
        "state": "COMPLETED", "created": "2026-01-01T00:00:00Z", "flow_version_id": old,
    })
    page.goto(f"/runs/{run['id']}?tab=source")
    expect(page.get_by_test_id("source-code").locator("tr")).to_have_count(3)
    page.get_by_role("link", name="see what changed").click()
    expect(page).to_have_url(re.compile(rf"/flows/{flow}/diff\?from={old}&to={new}$"))
    expect(page.get_by_test_id("diff").locator("tr.add")).to_have_count(2)

    page.goto(f"/flows/{flow}/diff?from={old}&to=0190a1b2-c3d4-7000-8000-000000000000")
    expect(page.get_by_role("alert")).to_contain_text("does not exist")


def test_a_run_shows_the_source_of_the_version_it_ran(page: Page, ui_server: UiServer) -> None:
    run = _post(ui_server, f"/deployments/{ui_server.deployments['pipeline']}/runs", {})
    ui_server.wait_for_run(run["id"], "COMPLETED")
    page.goto(f"/runs/{run['id']}")
    page.get_by_role("tab", name="Source").click()
    expect(page).to_have_url(re.compile(r"tab=source"))
    source = page.get_by_test_id("version-source")
    expect(source).to_have_attribute("data-kind", "source")
    expect(source.get_by_test_id("source-code")).to_contain_text("def pipeline(workdir: str = \"\", n: int = 3) -> int:")
    # coloured as Python: the decorator and the keywords
    code = source.get_by_test_id("source-code")
    expect(code.locator(".tok-dec", has_text="@flow").first).to_be_visible()
    expect(code.locator(".tok-kw", has_text=re.compile("^def$")).first).to_be_visible()


def test_a_yaml_run_and_its_deployment_show_the_manifest_graph_and_logs(
    page: Page, ui_server: UiServer, tmp_path: Path
) -> None:
    manifest = tmp_path / "ui-manifest.yaml"
    manifest.write_text(YAML_WORKFLOW)
    deployment = _deploy(ui_server, tmp_path, str(manifest), "--name", "ui-yaml")
    run = _post(ui_server, f"/deployments/{deployment}/runs", {})
    ui_server.wait_for_run(run["id"], "COMPLETED")

    page.goto(f"/runs/{run['id']}")
    graph = page.get_by_test_id("run-graph")
    expect(graph).to_have_attribute("data-node-count", "2")
    expect(graph).to_have_attribute("data-states", "2 COMPLETED")
    page.get_by_role("tab", name="Logs").click()
    expect(page.get_by_test_id("log-lines")).to_contain_text("said after said manifest-marker")
    page.get_by_role("tab", name="Timeline").click()
    expect(page.get_by_test_id("gantt").locator(".gantt-row")).to_have_count(2)
    expect(page.get_by_test_id("gantt")).to_contain_text("ui-manifest.second: COMPLETED")
    page.get_by_role("tab", name="Manifest").click()
    source = page.get_by_test_id("version-source")
    expect(source).to_have_attribute("data-kind", "manifest")
    expect(source).to_contain_text("ui-manifest.yaml")
    expect(source.get_by_test_id("source-code").locator("tr")).to_have_count(len(YAML_WORKFLOW.splitlines()))
    expect(source).to_contain_text("value: manifest-marker")
    expect(source.locator(".tok-key", has_text=re.compile("^generateName$"))).to_have_count(1)

    page.goto(f"/deployments/{deployment}")
    page.get_by_role("tab", name="Manifest").click()
    expect(page.get_by_test_id("version-source")).to_contain_text("generateName: ui-manifest-")
    page.get_by_role("tab", name="Overview").click()
    expect(page.get_by_role("heading", name="Recent runs")).to_be_visible()


def test_a_work_queue_shows_its_pending_runs_and_is_paused_and_resumed(
    page: Page, ui_server: UiServer, tmp_path: Path
) -> None:
    queue = f"uiq-{uuid.uuid4().hex[:6]}"
    _post(ui_server, "/work-queues", {"name": queue, "priority": 5})
    deployment = _deploy(ui_server, tmp_path, f"{ui_server.workdir.parent / 'flows.py'}:pipeline",
                         "--name", queue, "--queue", queue)
    # No worker serves this queue: the run waits in it.
    _post(ui_server, f"/deployments/{deployment}/runs", {})

    page.goto("/work-queues")
    row = page.locator(f"tr[data-queue='{queue}']")
    expect(row.get_by_test_id("pending-runs")).to_have_text("1")
    expect(row.locator("td").nth(1)).to_have_text("5")
    row.get_by_role("button", name="Pause").click()
    expect(row).to_contain_text("PAUSED")
    assert ui_server.get(f"/work-queues/{queue}")["paused"] is True
    row.get_by_role("button", name="Resume").click()
    expect(row.get_by_role("button", name="Pause")).to_be_visible()
    assert ui_server.get(f"/work-queues/{queue}")["paused"] is False

    row.get_by_role("button", name="Edit").click()
    row.get_by_label("Limit").fill("3")
    row.get_by_role("button", name="Save").click()
    expect(row.locator("td").nth(2)).to_have_text("3")
    assert ui_server.get(f"/work-queues/{queue}")["concurrency_limit"] == 3
    # The default queue nobody stored is listed with the defaults.
    expect(page.locator("tr[data-queue='default']")).to_contain_text("(defaults)")


def test_a_concurrency_limit_shows_the_run_holding_its_slot_and_its_limit_is_edited(
    page: Page, ui_server: UiServer, tmp_path: Path
) -> None:
    tag = f"uislot-{uuid.uuid4().hex[:6]}"
    page.goto("/concurrency-limits")
    form = page.get_by_role("form", name="New limit")
    form.get_by_label("Tag").fill("bad/tag")
    form.get_by_label("Limit").fill("1")
    form.get_by_role("button", name="Set limit").click()
    expect(page.get_by_role("alert")).to_contain_text("usable name")  # the problem's sentence
    form.get_by_label("Tag").fill(tag)
    form.get_by_label("Limit").fill("1")
    form.get_by_role("button", name="Set limit").click()
    row = page.locator(f"tr[data-tag='{tag}']")
    expect(row.get_by_test_id("slots")).to_contain_text("0 / 1")
    expect(page.get_by_role("alert")).to_have_count(0)

    deployment = _deploy(ui_server, tmp_path, f"{ui_server.workdir.parent / 'flows.py'}:slow",
                         "--name", tag, "--tag", tag, "-p", "seconds=60")
    run = _post(ui_server, f"/deployments/{deployment}/runs", {})
    try:
        ui_server.wait_for_run(run["id"], "RUNNING")
        expect(row.get_by_test_id("slots")).to_contain_text("1 / 1")
        expect(row.get_by_role("link", name=run["id"][:8])).to_have_attribute("href", f"/runs/{run['id']}")
        row.get_by_role("button", name="Edit limit").click()
        row.get_by_label("Limit", exact=True).fill("2")
        row.get_by_role("button", name="Save").click()
        expect(row.get_by_test_id("slots")).to_contain_text("1 / 2")
        assert ui_server.get(f"/concurrency-limits/{tag}")["limit"] == 2
    finally:
        httpx.post(f"{ui_server.api}/flow-runs/{run['id']}/cancel", timeout=10)
    ui_server.wait_for_run(run["id"], "CANCELLED")
    expect(row.get_by_test_id("slots")).to_contain_text("0 / 2")


def test_the_events_page_lists_new_events_live_filters_by_name_and_shows_a_payload(
    page: Page, ui_server: UiServer
) -> None:
    prefix = f"uipages{uuid.uuid4().hex[:6]}"
    _post(ui_server, "/events", {"name": f"{prefix}.order.created", "payload": {"order": 17, "total": "9.50"}, "resource": "shop.order.17"})
    _post(ui_server, "/events", {"name": "elsewhere.ping", "payload": {}, "resource": "ping"})
    page.goto(f"/events?name={prefix}.*")
    table = page.get_by_test_id("events-table")
    expect(table.get_by_role("row")).to_have_count(2)
    _post(ui_server, "/events", {"name": f"{prefix}.order.paid", "payload": {"order": 17}, "resource": "shop.order.17"})
    expect(table.get_by_role("row")).to_have_count(3)  # polled in, newest first
    expect(table.get_by_role("row").nth(1)).to_contain_text(f"{prefix}.order.paid")
    assert "elsewhere.ping" not in table.inner_text()

    table.get_by_role("link", name=f"{prefix}.order.created").click()
    expect(page).to_have_url(re.compile(r"event="))
    payload = page.get_by_test_id("event-payload")
    expect(payload).to_contain_text('"total": "9.50"')
    page.reload()
    expect(page.get_by_test_id("event-payload")).to_contain_text('"order": 17')

    search = page.get_by_label("Event name")
    search.fill(f"{prefix}.order.paid")
    search.press("Enter")
    expect(table.get_by_role("row")).to_have_count(2)


def test_the_triggers_page_lists_what_each_matches_and_switches_one_off_and_on(
    page: Page, ui_server: UiServer, tmp_path: Path
) -> None:
    name = f"uitrig{uuid.uuid4().hex[:6]}"
    deployment = _deploy(ui_server, tmp_path, f"{ui_server.workdir.parent / 'flows.py'}:pipeline",
                         "--name", name, "--trigger", f'{{"event": "{name}.go"}}')
    _post(ui_server, "/events", {"name": f"{name}.go", "payload": {}, "resource": name})
    page.goto("/triggers")
    row = page.locator("tr", has=page.get_by_role("link", name=f"pipeline/{name}"))
    expect(row).to_contain_text(f"{name}.go")
    expect(row.locator("td").nth(3)).to_have_text("1", timeout=30_000)  # fired by the event
    expect(row.locator("td").nth(2)).not_to_have_text("never")
    switch = row.get_by_role("switch")
    expect(switch).to_be_checked()
    switch.click()
    expect(switch).not_to_be_checked()
    [stored] = ui_server.get(f"/deployments/{deployment}/triggers")["items"]
    assert stored["enabled"] is False and stored["fired_count"] == 1
    switch.click()
    expect(switch).to_be_checked()
    assert ui_server.get(f"/deployments/{deployment}/triggers")["items"][0]["enabled"] is True
