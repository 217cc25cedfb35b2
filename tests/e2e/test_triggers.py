"""Triggers and notifications end to end on the embedded server (`legato server` with its
scheduler, trigger and notification loops and local worker): deployment B runs when
deployment A's run completes, a webhook event starts a run whose parameters come from the
event's payload, and a failed run is reported to a webhook receiver."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx

from legato.client.http import HttpBackend
from legato.core.states import StateType as S
from legato.engine.results import deserialize
from tests.integration.test_notifications import Hooks

from .cli import example
from .test_deploy import ok, run_cli
from .test_embedded import embedded_server, wait_for_state
from .test_server import ServerProcess

__all__ = ["embedded_server"]


def wait_for_runs(url: str, deployment_id: str, log: Path, count: int = 1) -> list[Any]:
    deadline = time.monotonic() + 30
    while True:
        runs = httpx.get(f"{url}/deployments/{deployment_id}/runs", timeout=5).json()["items"]
        if len(runs) >= count:
            return list(runs)
        assert time.monotonic() < deadline, f"no triggered run:\n{log.read_text()}"
        time.sleep(0.1)


def result_of(api: HttpBackend, run_id: str, log: Path) -> Any:
    wait_for_state(api, run_id, S.COMPLETED, log)
    ref = api.read_flow_run(run_id).result
    assert ref is not None and ref.data is not None
    return deserialize(ref.serializer, ref.data, "hello")


def test_a_completed_run_and_a_webhook_each_trigger_a_deployment(
    embedded_server: ServerProcess, tmp_path: Path
) -> None:
    home = tmp_path / "client-home"
    home.mkdir()
    url, log = embedded_server.url, tmp_path / "server.out"
    hello = example("hello.py", "hello")
    ok(run_cli(home, url, "deploy", hello, "--name", "upstream"))
    after = ok(run_cli(home, url, "deploy", hello, "--name", "after-upstream", "-p", "name=B",
                       "--trigger", "deployment=hello/upstream:completed", "--json"))
    hook = ok(run_cli(home, url, "deploy", hello, "--name", "on-orders", "--json", "--trigger",
                      '{"event": "orders.loaded", "match": {"region": "eu"},'
                      ' "parameters": {"name": "{{ event.payload.who }}"}}'))
    api = HttpBackend(url, timeout=10)
    try:
        first = ok(run_cli(home, url, "deployments", "run", "hello/upstream", "--json"))
        assert result_of(api, first["id"], log) == "Hello, world!"
        (triggered,) = wait_for_runs(url, after["id"], log)
        assert triggered["idempotency_key"].startswith("trigger:")
        assert result_of(api, triggered["id"], log) == "Hello, B!"

        ignored = httpx.post(f"{url}/events", json={
            "name": "orders.loaded", "payload": {"region": "us", "who": "US"}}, timeout=5)
        sent = httpx.post(f"{url}/events", json={
            "name": "orders.loaded", "payload": {"region": "eu", "who": "Webhook"},
            "id": "delivery-1"}, timeout=5)
        again = httpx.post(f"{url}/events", json={
            "name": "orders.loaded", "payload": {"region": "eu", "who": "Webhook"},
            "id": "delivery-1"}, timeout=5)
        assert (ignored.status_code, sent.status_code, again.status_code) == (201, 201, 201)
        (from_hook,) = wait_for_runs(url, hook["id"], log)
        assert from_hook["parameters"] == {"name": "Webhook"}
        assert result_of(api, from_hook["id"], log) == "Hello, Webhook!"
        time.sleep(2)  # a few more trigger ticks: still exactly one run each
        assert len(wait_for_runs(url, hook["id"], log)) == 1
        assert len(wait_for_runs(url, after["id"], log)) == 1
        fired = {(t["deployment_name"], t["fired_count"])
                 for t in ok(run_cli(home, url, "triggers", "ls", "--json"))}
        assert fired == {("after-upstream", 1), ("on-orders", 1)}
    finally:
        api.close()
    assert embedded_server.stop(timeout=30) == 0


BROKEN = """
from legato import flow


@flow
def broken() -> None:
    raise ValueError("no rows today")
"""


def test_the_server_notifies_a_webhook_when_a_deployment_run_fails(
    embedded_server: ServerProcess, tmp_path: Path
) -> None:
    hooks = Hooks()
    hooks.thread.start()
    home = tmp_path / "client-home"
    home.mkdir()
    url, log = embedded_server.url, tmp_path / "server.out"
    flows = tmp_path / "broken.py"
    flows.write_text(BROKEN)
    try:
        ok(run_cli(home, url, "deploy", f"{flows}:broken", "--name", "daily"))
        ok(run_cli(home, url, "notifications", "add", "--url", hooks.url, "--state", "failed",
                   "--deployment", "broken/daily"))
        run = ok(run_cli(home, url, "deployments", "run", "broken/daily", "--json"))
        deadline = time.monotonic() + 30
        while not hooks.received:
            assert time.monotonic() < deadline, f"no notification:\n{log.read_text()}"
            time.sleep(0.1)
        (message,) = hooks.received
        assert message["title"].startswith("Legato: broken run ")
        assert message["title"].endswith(" is FAILED")
        assert f"/runs/{run['id']}" in message["message"]
        assert "no rows today" in message["message"]
    finally:
        hooks.server.shutdown()
        hooks.server.server_close()
    assert embedded_server.stop(timeout=30) == 0
