"""Fixtures for browser tests: one real `legato server` (API, UI, scheduler and a local worker)
on a free 127.0.0.1 port with its own LEGATO_HOME, the test flows deployed to it, and headless
Chromium (the system's /usr/bin/chromium, driven by Playwright) opening a fresh page per test."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from legato.server.runner import bind_socket

from .flows import FLOWS

REPO = Path(__file__).resolve().parents[2]
LEGATO = Path(os.environ.get("VIRTUAL_ENV", REPO / ".venv")) / "bin" / "legato"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
STATIC_INDEX = REPO / "src" / "legato" / "server" / "static" / "index.html"
# The deployments the tests use: (flow, name, default parameters).
DEPLOYMENTS = [
    ("pipeline", "ui", ["n=2"]),
    ("slow", "ui", []),
    ("flaky", "ui", []),
    ("gated", "ui", []),
    ("suspended", "ui", []),
    ("chain", "ui", []),
    ("leaky", "ui", []),
]


@dataclass
class UiServer:
    """The server under test: its base URL, API URL, deployments by flow name and files."""

    base: str
    api: str
    deployments: dict[str, str]
    workdir: Path
    log: Path

    def get(self, path: str, **params: Any) -> Any:
        response = httpx.get(f"{self.api}{path}", params=params, timeout=10)
        response.raise_for_status()
        return response.json()

    def wait_for_run(self, run_id: str, *states: str, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            run: dict[str, Any] = self.get(f"/flow-runs/{run_id}")
            if run["state"] in states:
                return run
            if time.monotonic() > deadline:
                raise AssertionError(f"run {run_id} is {run['state']}, not {states}:\n{self.log.read_text()[-4000:]}")
            time.sleep(0.1)


def _require(condition: bool, reason: str) -> None:
    if condition:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} Browser tests must run in CI (`make test` installs Chromium and builds the UI).")
    pytest.skip(reason)


def _free_port() -> int:
    with bind_socket("127.0.0.1", 0) as sock:
        port: int = sock.getsockname()[1]
    return port


def _cli(home: Path, api: str, *args: str) -> Any:
    env = clean_env(home)
    env["LEGATO_API_URL"] = api
    done = subprocess.run([str(LEGATO), *args, "--json"], env=env, cwd=home, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, f"legato {' '.join(args)}: {done.stdout}\n{done.stderr}"
    return orjson.loads(done.stdout)


@contextmanager
def running_server(args: list[str], env: dict[str, str], cwd: Path, log: Path) -> Iterator[str]:
    """`legato server ARGS` on a free 127.0.0.1 port, until its health endpoint answers; yields
    its base URL and kills its process group (the server and the runs it launched) afterwards."""
    port = _free_port()
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(LEGATO), "server", "--port", str(port), *args],
            env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, f"legato server exited:\n{log.read_text()}"
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"legato server did not start:\n{log.read_text()}"
            time.sleep(0.05)
        yield base
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=10)


@contextmanager
def open_page(browser: Browser, base: str, **options: Any) -> Iterator[Page]:
    """A page in a fresh browser context on `base`; fails the test on any uncaught page error."""
    context = browser.new_context(base_url=base, viewport={"width": 1400, "height": 900}, **options)
    context.set_default_timeout(30_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


def clean_env(home: Path) -> dict[str, str]:
    """This process's environment without LEGATO_* settings, with LEGATO_HOME=`home`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEGATO_")}
    env["LEGATO_HOME"] = str(home)
    return env


@pytest.fixture(scope="package")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiServer]:
    _require(STATIC_INDEX.is_file(), f"the web UI is not built ({STATIC_INDEX} is missing); run `make ui`.")
    root = tmp_path_factory.mktemp("ui-server")
    home, client, workdir = root / "server-home", root / "client-home", root / "work"
    for folder in (home, client, workdir):
        folder.mkdir()
    flows = root / "flows.py"
    flows.write_text(FLOWS)
    log = root / "server.out"
    args = ["--worker-limit", "4", "--worker-grace-seconds", "1"]
    with running_server(args, clean_env(home), root, log) as base:
        server = UiServer(base, f"{base}/api/v1", {}, workdir, log)
        for flow, name, params in DEPLOYMENTS:
            args = ["deploy", f"{flows}:{flow}", "--name", name, "-p", f"workdir={workdir}"]
            for param in params:
                args += ["-p", param]
            server.deployments[flow] = _cli(client, server.api, *args)["id"]
        yield server


# Package scope, not session: the sync API keeps an event loop running in this thread until
# Playwright stops, and every later test that calls asyncio.run() would fail meanwhile.
@pytest.fixture(scope="package")
def playwright_instance() -> Iterator[Playwright]:
    _require(CHROMIUM.exists(), f"{CHROMIUM} is missing; `make test` installs it (apt-get install chromium).")
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="package")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    browser = playwright_instance.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def page(browser: Browser, ui_server: UiServer) -> Iterator[Page]:
    with open_page(browser, ui_server.base) as page:
        yield page
