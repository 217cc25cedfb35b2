"""Signing in to the web UI of a server run with --auth, in headless Chromium: an API 401
sends a deep link to the sign-in page and back after signing in; a wrong password gets the
server's message; writes carry the CSRF token; a viewer sees no cancel button; sign out."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from legato.core.ids import new_id

from .conftest import LEGATO, STATIC_INDEX, _require, clean_env, open_page, running_server

USERS = {"alice": ("admin", "alice's long password"), "victor": ("viewer", "victor's long password")}


@dataclass
class AuthServer:
    base: str
    api: str
    log: Path

    def session(self, username: str) -> httpx.Client:
        """An httpx client signed in as `username`, sending the CSRF token on writes."""
        client = httpx.Client(base_url=self.api, timeout=10)
        response = client.post("/auth/login", json={"username": username, "password": USERS[username][1]})
        response.raise_for_status()
        client.headers["X-CSRF-Token"] = client.cookies["legato_csrf"]
        return client


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuthServer]:
    _require(STATIC_INDEX.is_file(), f"the web UI is not built ({STATIC_INDEX} is missing); run `make ui`.")
    root = tmp_path_factory.mktemp("auth-server")
    env = clean_env(root / "home")
    for username, (role, password) in USERS.items():
        done = subprocess.run(
            [str(LEGATO), "users", "create", username, "--role", role, "--password-stdin"],
            input=password + "\n", env=env, cwd=root, capture_output=True, text=True, timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    log = root / "server.out"
    # No worker and no scheduler: the runs these tests make stay where they are put.
    with running_server(["--auth", "--no-worker", "--no-scheduler"], env, root, log) as base:
        yield AuthServer(base, f"{base}/api/v1", log)


@pytest.fixture
def auth_page(browser: Browser, auth_server: AuthServer) -> Iterator[Page]:
    with open_page(browser, auth_server.base) as page:
        yield page


def _scheduled_run(server: AuthServer) -> str:
    run_id = new_id()
    with closing(server.session("alice")) as admin:
        response = admin.post("/flow-runs", json={
            "id": run_id, "flow_name": "held", "name": "held-run", "parameters": {},
            "state": "SCHEDULED", "created": "2026-01-01T00:00:00Z",
        })
        assert response.status_code == 201, response.text
    return run_id


def _sign_in(page: Page, username: str, password: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_a_deep_link_asks_to_sign_in_refuses_a_wrong_password_and_comes_back(
    auth_page: Page, auth_server: AuthServer
) -> None:
    page = auth_page
    run_id = _scheduled_run(auth_server)
    page.goto(f"/runs/{run_id}?tab=parameters")
    expect(page).to_have_url(re.compile(r"/signin\?next=%2Fruns%2F" + run_id + r"%3Ftab%3Dparameters$"))
    _sign_in(page, "alice", "not the password")
    expect(page.get_by_role("alert")).to_contain_text("the username or password is wrong; check both and try again.")
    expect(page).to_have_url(re.compile(r"/signin\?next="))

    _sign_in(page, "alice", USERS["alice"][1])
    expect(page).to_have_url(re.compile(rf"/runs/{run_id}\?tab=parameters$"))
    expect(page.get_by_role("heading", name=re.compile("held-run"))).to_be_visible()
    session = page.get_by_test_id("session")
    expect(session).to_contain_text("alice")
    expect(session).to_contain_text("admin")

    # A write from the page carries the CSRF token: the admin cancels the run.
    page.get_by_role("button", name="Cancel run").click()
    expect(page.locator("h1 .badge")).to_have_text("CANCELLED")

    session.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/signin$"))
    page.goto("/runs")
    expect(page).to_have_url(re.compile(r"/signin\?next=%2Fruns$"))


def test_a_viewer_sees_runs_but_no_actions_and_the_api_refuses_them(
    auth_page: Page, auth_server: AuthServer
) -> None:
    page = auth_page
    run_id = _scheduled_run(auth_server)
    page.goto("/signin")
    _sign_in(page, "victor", USERS["victor"][1])
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_test_id("session")).to_contain_text("viewer")
    page.goto(f"/runs/{run_id}")
    expect(page.get_by_role("heading", name=re.compile("held-run"))).to_be_visible()
    expect(page.locator("h1 .badge")).to_have_text("SCHEDULED")
    expect(page.get_by_role("button", name="Cancel run")).to_have_count(0)
    # The server refuses the viewer's cancel even when sent by hand, with its own sentence.
    status = page.evaluate(
        """async (id) => {
            const csrf = document.cookie.match(/legato_csrf=([^;]+)/)[1];
            const r = await fetch(`/api/v1/flow-runs/${id}/cancel`, {method: "POST", headers: {"X-CSRF-Token": csrf}});
            return [r.status, (await r.json()).detail];
        }""",
        run_id,
    )
    assert status[0] == 403 and "needs operator" in status[1], status
    page.goto("/runs")
    expect(page.get_by_test_id("runs-table")).to_contain_text("held-run")
    expect(page.get_by_role("button", name="Delete")).to_have_count(0)
    page.goto("/work-queues")
    expect(page.get_by_test_id("queues-table")).to_be_visible()
    page.goto("/concurrency-limits")
    expect(page.get_by_role("form", name="New limit")).to_have_count(0)
    with closing(auth_server.session("victor")) as viewer:
        assert viewer.get(f"/flow-runs/{run_id}").json()["state"] == "SCHEDULED"
