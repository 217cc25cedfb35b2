"""The server's background loops: started with the server, stopped by its shutdown, a failing
loop logged without stopping the others; the scheduler and monitor loops are added unless
disabled, and the local worker gets the server's database and home."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from legato.orchestration.local import LocalBackend
from legato.server.background import BackgroundLoops
from legato.server.runner import background_loops
from legato.settings import Settings
from legato.workers.local import child_env, local_worker


def test_loops_run_until_the_block_ends_and_a_failure_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    started = threading.Event()
    stopped = threading.Event()

    def waits(stop: threading.Event) -> None:
        started.set()
        stop.wait()
        stopped.set()

    def fails(stop: threading.Event) -> None:
        raise RuntimeError("boom")

    loops = BackgroundLoops()
    loops.add("waits", waits)
    loops.add("fails", fails)
    with loops:
        assert started.wait(5)
        assert not stopped.is_set()
    assert stopped.is_set()
    assert "background loop 'fails' stopped with an error" in caplog.text


def test_the_server_runs_the_scheduler_and_triggers_unless_told_not_to(
    backend: LocalBackend, tmp_path: Path
) -> None:
    settings = Settings.from_env({"LEGATO_HOME": str(tmp_path), "LEGATO_SCHEDULER_INTERVAL": "1"})
    assert settings.scheduler_interval_seconds == 1.0
    assert background_loops(backend, settings, scheduler=True).names == [
        "scheduler", "triggers", "notifications"]
    assert background_loops(backend, settings, scheduler=False).names == []


def test_the_server_runs_the_monitor_unless_told_not_to(
    backend: LocalBackend, tmp_path: Path
) -> None:
    settings = Settings.from_env({"LEGATO_HOME": str(tmp_path), "LEGATO_MONITOR_INTERVAL": "2"})
    assert settings.monitor_interval_seconds == 2.0
    both = background_loops(backend, settings, scheduler=True, monitor=True)
    assert both.names == ["scheduler", "triggers", "notifications", "monitor"]
    assert background_loops(backend, settings, scheduler=False, monitor=True).names == ["monitor"]


def test_a_loop_is_joined_for_its_own_time(monkeypatch: pytest.MonkeyPatch) -> None:
    joined: list[float | None] = []
    monkeypatch.setattr(threading.Thread, "join",
                        lambda self, timeout=None: joined.append(timeout))
    loops = BackgroundLoops()
    loops.add("quick", lambda stop: None)
    loops.add("worker", lambda stop: None, join_seconds=42.0)
    loops.start()
    loops.close()
    assert joined == [10.0, 42.0]


def test_the_local_worker_launches_runs_on_the_servers_database(
    backend: LocalBackend, tmp_path: Path
) -> None:
    settings = Settings.from_env({"LEGATO_HOME": str(tmp_path), "LEGATO_API_URL": "http://x"})
    env = child_env(settings)
    assert env["LEGATO_DATABASE_URL"] == f"sqlite:///{tmp_path / 'legato.db'}"
    assert env["LEGATO_HOME"] == str(tmp_path)
    assert env["LEGATO_API_URL"] == "" and Settings.from_env(env).api_url is None
    worker = local_worker(backend, settings, ["default", "gpu"], 3, grace_seconds=1)
    assert (worker.queues, worker.limit, worker.grace_seconds) == (["default", "gpu"], 3, 1)
    assert worker.name.startswith("local-")
