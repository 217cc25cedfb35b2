"""The Secrets and Variables pages in headless Chromium against a real `legato server`: store,
replace and delete a secret without its value ever reaching the page or any API response the
page reads; add, edit and delete a variable with a JSON value; a run whose task returns a
secret shows its results as hidden."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, Response, expect

from .conftest import UiServer

VALUE = "ui-Secret-Value-9931"


def test_secret_is_stored_replaced_and_deleted_without_its_value_shown(
    page: Page, ui_server: UiServer
) -> None:
    bodies: list[str] = []

    def keep(response: Response) -> None:
        if "/api/v1/" in response.url and response.status != 204:
            bodies.append(response.text())

    page.on("response", keep)
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto("/secrets")
    form = page.get_by_role("form", name="New secret")
    form.get_by_label("Name").fill("ui-db-password")
    form.get_by_label("Value").fill(VALUE)
    form.get_by_role("button", name="Store secret").click()
    row = page.locator("tr[data-secret='ui-db-password']")
    expect(row).to_be_visible()
    expect(form.get_by_label("Value")).to_have_value("")
    # A second "new" secret of the same name is refused, not silently replaced.
    form.get_by_label("Name").fill("ui-db-password")
    form.get_by_label("Value").fill("another-value")
    form.get_by_role("button", name="Store secret").click()
    expect(page.get_by_text("exists already")).to_be_visible()
    row.get_by_role("button", name="Replace value").click()
    row.get_by_label("New value").fill(VALUE + "-2")
    row.get_by_role("button", name="Save").click()
    expect(row.get_by_role("button", name="Replace value")).to_be_visible()
    assert VALUE not in page.content()
    assert ui_server.get("/secrets/ui-db-password")["name"] == "ui-db-password"
    row.get_by_role("button", name="Delete").click()
    expect(row).to_have_count(0)
    assert bodies and not any(VALUE in body for body in bodies)


def test_variable_is_added_edited_and_deleted(page: Page, ui_server: UiServer) -> None:
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto("/variables")
    form = page.get_by_role("form", name="New variable")
    form.get_by_label("Name").fill("ui_batch")
    form.get_by_label("Value").fill('{"size": 500}')
    form.get_by_role("button", name="Store variable").click()
    row = page.locator("tr[data-variable='ui_batch']")
    expect(row.get_by_test_id("variable-value")).to_have_text('{"size":500}')
    row.get_by_role("button", name="Edit").click()
    row.get_by_label("Value (JSON)").fill("prod")
    row.get_by_role("button", name="Save").click()
    expect(row.get_by_test_id("variable-value")).to_have_text('"prod"')
    assert ui_server.get("/variables/ui_batch")["value"] == "prod"
    row.get_by_role("button", name="Delete").click()
    expect(row).to_have_count(0)


def test_nav_links_to_both_pages(page: Page, ui_server: UiServer) -> None:
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Secrets").click()
    expect(page.get_by_role("heading", name="Secrets")).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Variables").click()
    expect(page.get_by_role("heading", name="Variables")).to_be_visible()


def test_a_result_holding_a_secret_shows_as_hidden_on_the_run_page(
    page: Page, ui_server: UiServer
) -> None:
    stored = httpx.put(f"{ui_server.api}/secrets/ui-leak-token", json={"value": VALUE},
                       timeout=10)
    assert stored.status_code in (200, 201), stored.text
    created = httpx.post(f"{ui_server.api}/deployments/{ui_server.deployments['leaky']}/runs",
                         json={}, timeout=10)
    assert created.status_code == 201, created.text
    run_id = created.json()["id"]
    run = ui_server.wait_for_run(run_id, "COMPLETED", "FAILED")
    assert run["state"] == "COMPLETED", run["state_message"]
    task_runs = ui_server.get(f"/flow-runs/{run_id}/task-runs")["items"]
    assert [t["result"]["serializer"] for t in task_runs] == ["masked"]
    bodies: list[str] = []

    def keep(response: Response) -> None:
        if "/api/v1/" in response.url and response.status != 204:
            bodies.append(response.text())

    page.on("response", keep)
    page.goto(f"/runs/{run_id}?tab=result")
    result = page.get_by_test_id("run-result")
    expect(result).to_contain_text("result hidden: it contains a secret")
    expect(result).to_contain_text('"password": "********"')
    expect(result).to_contain_text('"length": 20')
    assert VALUE not in page.content()
    assert bodies and not any(VALUE in body for body in bodies)
