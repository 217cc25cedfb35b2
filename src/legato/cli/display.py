"""The live progress view shown while a flow runs in a terminal: it polls the backend for task
run counts and the currently running task runs and redraws a few times a second."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.markup import escape
from rich.spinner import Spinner
from rich.table import Table
from rich.text import Text

from legato._clock import SYSTEM_CLOCK, Clock
from legato.core.backend import Backend
from legato.core.records import TaskRunRecord
from legato.core.states import StateType

from .output import format_duration, state_style

POLL_SECONDS = 0.2
# Listing task runs reads every row of the run, so it is polled less often than the counts
# and skipped for very large runs, where the counts alone say enough.
TASK_LIST_SECONDS = 0.5
TASK_LIST_MAX_RUNS = 5000
SHOWN_RUNNING = 8


class RunProgress:
    """Renderable progress of one flow run; `started` is called once its id is known."""

    def __init__(self, backend: Backend, label: str, clock: Clock = SYSTEM_CLOCK) -> None:
        self._backend = backend
        self._label = label
        self._clock = clock
        self._began = clock.monotonic()
        self._lock = threading.Lock()
        self.flow_run_id: str | None = None
        self._counts: dict[StateType, int] = {}
        self._running: list[TaskRunRecord] = []
        self._counts_at = float("-inf")
        self._list_at = float("-inf")
        self._error: str | None = None
        self._spinner = Spinner("dots")

    def started(self, flow_run_id: str) -> None:
        self.flow_run_id = flow_run_id

    def poll(self) -> None:
        """Refresh counts (and, less often, running task runs) when they are due."""
        flow_run_id = self.flow_run_id
        if flow_run_id is None:
            return
        now = self._clock.monotonic()
        # Polling must never break the run it watches: a failed read keeps the last view.
        try:
            if now - self._counts_at >= POLL_SECONDS:
                self._counts = self._backend.count_task_runs(flow_run_id)
                self._counts_at = now
            total = sum(self._counts.values())
            if now - self._list_at >= TASK_LIST_SECONDS and total <= TASK_LIST_MAX_RUNS:
                running = [
                    task_run
                    for task_run in self._backend.read_task_runs(flow_run_id)
                    if task_run.state is StateType.RUNNING
                ]
                self._running = running[:SHOWN_RUNNING]
                self._list_at = now
            self._error = None
        except Exception as exc:
            self._error = f"{type(exc).__name__}: {exc}"

    def render(self) -> RenderableType:
        with self._lock:
            self.poll()
            elapsed = format_duration(self._clock.monotonic() - self._began)
            if self.flow_run_id is None:
                header = f"[bold]{escape(self._label)}[/] starting ({elapsed})"
            else:
                header = f"[bold]{escape(self._label)}[/] run {self.flow_run_id} ({elapsed})"
            self._spinner.update(text=Text.from_markup(header))
            parts: list[RenderableType] = [self._spinner, self._counts_line()]
            if self._running:
                parts.append(self._running_table())
            if self._error:
                parts.append(Text(f"cannot read progress: {self._error}", style="dim"))
            return Group(*parts)

    def _counts_line(self) -> Text:
        line = Text(f"tasks: {sum(self._counts.values())}")
        for state in StateType:
            count = self._counts.get(state, 0)
            if count:
                line.append("  ")
                line.append(f"{state.value} {count}", style=state_style(state))
        return line

    def _running_table(self) -> Table:
        table = Table(box=None, show_header=False, padding=(0, 2, 0, 2))
        now = self._clock.now()
        for task_run in self._running:
            since = task_run.start_time or task_run.created
            table.add_row(
                task_run.task_key,
                f"attempt {task_run.attempts}",
                # The database's clock may run ahead of this machine's.
                format_duration(max((now - since).total_seconds(), 0.0)),
            )
        return table


@contextmanager
def live_progress(
    backend: Backend, label: str, console: Console, *, enabled: bool
) -> Iterator[Callable[[str], None]]:
    """Show a RunProgress while the block runs (when enabled); yields the on_start callback."""
    progress = RunProgress(backend, label)
    if not enabled:
        yield progress.started
        return
    with Live(
        get_renderable=progress.render,
        console=console,
        refresh_per_second=1 / POLL_SECONDS,
        transient=True,
    ):
        yield progress.started
