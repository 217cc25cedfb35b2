"""The live progress view: what it shows, how often it reads the backend, and that a failing
read never breaks the run it watches."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import cast

from rich.console import Console

from legato._clock import FakeClock
from legato.cli.display import POLL_SECONDS, TASK_LIST_SECONDS, RunProgress
from legato.core.backend import Backend
from legato.core.states import StateType

from .fakes import T0, FakeBackend, flow_run, task_run


def rendered(progress: RunProgress) -> str:
    console = Console(file=io.StringIO(), width=100, color_system=None)
    console.print(progress.render())
    return cast(io.StringIO, console.file).getvalue()


def make_progress() -> tuple[RunProgress, FakeBackend, FakeClock]:
    backend = FakeBackend()
    backend.add(
        flow_run("run-1", "etl", StateType.RUNNING),
        task_run("extract-0"),
        task_run("transform-0[0]", StateType.RUNNING),
        task_run("transform-0[1]", StateType.RUNNING),
    )
    clock = FakeClock(T0 + timedelta(seconds=3))
    return RunProgress(cast(Backend, backend), "etl", clock), backend, clock


def test_before_the_run_starts_it_reads_nothing() -> None:
    progress, backend, _ = make_progress()
    assert "etl starting" in rendered(progress)
    assert backend.calls == []


def test_shows_counts_and_running_task_runs() -> None:
    progress, _, _ = make_progress()
    progress.started("run-1")
    text = rendered(progress)
    assert "run run-1" in text
    assert "tasks: 3  RUNNING 2  COMPLETED 1" in text
    assert "transform-0[0]    attempt 1    3.0s" in text
    assert "extract-0" not in text


def test_lists_task_runs_less_often_than_it_counts_them() -> None:
    progress, backend, clock = make_progress()
    progress.started("run-1")
    renders = int(TASK_LIST_SECONDS / POLL_SECONDS)
    for _ in range(renders):
        rendered(progress)
        clock.advance(POLL_SECONDS * 1.01)
    assert backend.calls.count("count_task_runs") == renders
    assert backend.calls.count("read_task_runs") == 1
    clock.advance(TASK_LIST_SECONDS)
    rendered(progress)
    assert backend.calls.count("read_task_runs") == 2


def test_a_failing_backend_read_keeps_the_last_view() -> None:
    progress, backend, clock = make_progress()
    progress.started("run-1")
    rendered(progress)
    backend.fail_reads = True
    clock.advance(TASK_LIST_SECONDS)
    text = rendered(progress)
    assert "RUNNING 2" in text
    assert "cannot read progress: ConnectionError: database went away" in text
