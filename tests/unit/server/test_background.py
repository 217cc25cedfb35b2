"""The server's background loops: started with the server, stopped by its shutdown, a failing
loop logged without stopping the others; the scheduler loop is added unless disabled."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from legato.orchestration.local import LocalBackend
from legato.server.background import BackgroundLoops
from legato.server.runner import background_loops
from legato.settings import Settings


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


def test_the_server_runs_the_scheduler_unless_told_not_to(
    backend: LocalBackend, tmp_path: Path
) -> None:
    settings = Settings.from_env({"LEGATO_HOME": str(tmp_path), "LEGATO_SCHEDULER_INTERVAL": "1"})
    assert settings.scheduler_interval_seconds == 1.0
    assert background_loops(backend, settings, scheduler=True).names == ["scheduler"]
    assert background_loops(backend, settings, scheduler=False).names == []
