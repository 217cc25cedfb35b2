"""The run context: which flow run and task run the current code belongs to, held in
context variables so threads and coroutines of one run see the same objects."""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from legato._clock import Clock
from legato.core.backend import Backend
from legato.core.records import TaskRunRecord
from legato.engine.recorder import Recorder
from legato.engine.results import ResultWriter
from legato.engine.specs import FlowSpec, TaskSpec
from legato.engine.task_slots import TaskSlots

# Flow runs executing in this process, by id(context), so a cancel request from outside
# (a worker's signal to the run's process) reaches each of them.
_live: dict[int, FlowRunContext] = {}


def track_flow_run(ctx: FlowRunContext) -> None:
    """Count `ctx` among the flow runs `cancel_flow_runs` stops, until `untrack_flow_run`."""
    _live[id(ctx)] = ctx


def untrack_flow_run(ctx: FlowRunContext) -> None:
    _live.pop(id(ctx), None)


def cancel_flow_runs() -> int:
    """Ask every flow run executing in this process to stop at its next task boundary (each
    ends CANCELLED); return how many were asked."""
    while True:
        try:
            contexts = list(_live.values())
            break
        except RuntimeError:  # another thread changed the dict meanwhile; look again
            continue
    for ctx in contexts:
        ctx.cancel_event.set()
    return len(contexts)


@dataclass(frozen=True, slots=True)
class FlowRunInfo:
    """What hooks and loggers get to know about a flow run."""

    id: str
    name: str
    flow_name: str
    parameters: dict[str, Any]
    run_count: int
    parent_flow_run_id: str | None = None


@dataclass(slots=True)
class TaskRunInfo:
    """What hooks, cache-key functions and loggers get to know about a task run."""

    id: str
    name: str
    task_key: str
    flow_run_id: str
    map_index: int | None
    attempts: int = 0


@dataclass(eq=False)
class FlowRunContext:
    """Everything shared by the task runs of one flow run."""

    backend: Backend
    recorder: Recorder
    results: ResultWriter
    clock: Clock
    spec: FlowSpec
    flow_run: FlowRunInfo
    task_runner: Any
    log_prints: bool
    # Shared with subflows: task-level concurrency slots (see legato.engine.task_slots).
    task_slots: TaskSlots
    # Task runs of earlier attempts of this flow run, by task key (resume).
    previous: dict[str, TaskRunRecord] = field(default_factory=dict)
    cancel_event: threading.Event = field(default_factory=threading.Event)
    parent: FlowRunContext | None = None
    _counters: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _running: int = 0
    _drained: threading.Event | None = None
    _failed: list[tuple[Any, str]] = field(default_factory=list)

    def next_key(self, name: str) -> str:
        """A stable key for the next call of task `name` in this run: "name-0", "name-1"..."""
        with self._lock:
            n = self._counters.get(name, 0)
            self._counters[name] = n + 1
        return f"{name}-{n}"

    def task_started(self) -> None:
        """Count a task run that is not final yet (so the flow can wait for all of them)."""
        with self._lock:
            self._running += 1

    def task_finished(self) -> None:
        with self._lock:
            self._running -= 1
            if self._running == 0 and self._drained is not None:
                self._drained.set()

    def wait_for_tasks(self) -> None:
        """Block until every task run of this flow run is final."""
        with self._lock:
            if self._running == 0:
                return
            self._drained = drained = threading.Event()
        drained.wait()
        with self._lock:
            self._drained = None

    def note_failure(self, future: Any, message: str) -> None:
        """Remember a failed task run; it fails the flow unless someone looked at it."""
        with self._lock:
            self._failed.append((future, message))

    def unhandled_failures(self) -> list[str]:
        with self._lock:
            return [message for future, message in self._failed if not future._handled]

    def reset_for_attempt(self) -> None:
        with self._lock:
            self._counters.clear()
            self._failed.clear()


class TaskRunContext:
    """The task run the current code runs in."""

    __slots__ = ("_args", "_kwargs", "_parameters", "flow", "log_prints", "spec", "task_run")

    def __init__(self, flow: FlowRunContext, spec: TaskSpec, task_run: TaskRunInfo,
                 args: tuple[Any, ...], kwargs: dict[str, Any], log_prints: bool) -> None:
        self.flow = flow
        self.spec = spec
        self.task_run = task_run
        self._args = args
        self._kwargs = kwargs
        self._parameters: dict[str, Any] | None = None
        self.log_prints = log_prints

    @property
    def parameters(self) -> dict[str, Any]:
        """The call's arguments by parameter name (bound on first use)."""
        if self._parameters is None:
            params = dict(zip(self.spec.parameter_names, self._args, strict=False))
            params.update(self._kwargs)
            self._parameters = params
        return self._parameters

    @property
    def task(self) -> Any:
        return self.spec.owner


flow_run_ctx: ContextVar[FlowRunContext | None] = ContextVar("legato_flow_run", default=None)
task_run_ctx: ContextVar[TaskRunContext | None] = ContextVar("legato_task_run", default=None)


def current_flow_run() -> FlowRunContext | None:
    return flow_run_ctx.get()


def current_task_run() -> TaskRunContext | None:
    return task_run_ctx.get()


def call_in_task_context(ctx: TaskRunContext, fn: Callable[[], Any]) -> Any:
    """Run `fn` with the flow and task contexts set (for code on another thread)."""
    f_token = flow_run_ctx.set(ctx.flow)
    t_token = task_run_ctx.set(ctx)
    try:
        return fn()
    finally:
        task_run_ctx.reset(t_token)
        flow_run_ctx.reset(f_token)
