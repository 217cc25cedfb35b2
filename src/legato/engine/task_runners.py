"""Task runners decide where the submitted task runs of one flow run execute: threads
(default), processes, or (in legato.integrations.dask) a Dask cluster.

Every runner runs each task run's lifecycle (states, retries, results) in the flow's
process; process and Dask runners only ship the attempt itself — the function call."""

from __future__ import annotations

import collections
import logging
import os
import queue
import threading
from concurrent.futures import Future
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from legato.core.records import LogRow
from legato.engine import pickling
from legato.engine.masking import mask, register_secrets, registered_secrets
from legato.engine.specs import TaskSpec
from legato.errors import DefinitionError, TaskTimeoutError

if TYPE_CHECKING:
    from legato.engine.context import TaskRunContext
    from legato.engine.task_engine import TaskRun

_STOP = None


class TaskRunner:
    """Base class: where `.submit()`/`.map()` task runs execute."""

    #: True when attempts run outside this process (results travel by pickle).
    remote = False

    def start(self) -> None:
        """Prepare resources; called when the flow run starts."""

    def submit(self, run: TaskRun) -> None:
        """Arrange for `run.execute()` to be called."""
        raise NotImplementedError

    def call_remote(self, ctx: TaskRunContext, spec: TaskSpec, args: tuple[Any, ...],
                    kwargs: dict[str, Any]) -> Any:
        """Run one attempt elsewhere and return its value (remote runners only)."""
        raise NotImplementedError

    def shutdown(self) -> None:
        """Release resources once every task run is final."""

    def duplicate(self) -> TaskRunner:
        """A fresh runner with the same settings, for another flow run."""
        raise NotImplementedError


class ThreadPoolTaskRunner(TaskRunner):
    """Runs task runs on a pool of threads (the default).

    `max_workers` defaults to min(32, CPUs + 4), as concurrent.futures does. Threads start
    as work arrives and stop when the flow run ends."""

    def __init__(self, max_workers: int | None = None) -> None:
        if max_workers is not None and (not isinstance(max_workers, int) or max_workers < 1):
            raise DefinitionError(
                f"ThreadPoolTaskRunner got max_workers={max_workers!r}; give an integer >= 1."
            )
        self.max_workers = max_workers or min(32, (os.cpu_count() or 1) + 4)
        self._queue: queue.SimpleQueue[TaskRun | None] = queue.SimpleQueue()
        # One token per idle thread; deque.append/pop are atomic, so no lock per task.
        self._idle: collections.deque[None] = collections.deque()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def submit(self, run: TaskRun) -> None:
        self._queue.put(run)
        if self._idle:
            try:
                self._idle.pop()
                return
            except IndexError:  # another submitter took the last idle thread
                pass
        # Read without the lock: once the pool is full (most submits of a big map), this
        # skips the lock and the raised IndexError; _add_thread checks again under the lock.
        if len(self._threads) < self.max_workers:
            self._add_thread()

    def _add_thread(self) -> None:
        with self._lock:
            if len(self._threads) >= self.max_workers:
                return
            thread = threading.Thread(target=self._work, daemon=True,
                                      name=f"legato-task-{len(self._threads)}")
            thread.start()
            self._threads.append(thread)

    def _work(self) -> None:
        get, idle = self._queue.get, self._idle.append
        while True:
            run = get()
            if run is None:
                return
            run.execute()
            idle(None)

    def shutdown(self) -> None:
        with self._lock:
            threads, self._threads = self._threads, []
        for _ in threads:
            self._queue.put(_STOP)
        for thread in threads:
            thread.join()
        self._idle.clear()

    def duplicate(self) -> ThreadPoolTaskRunner:
        return type(self)(self.max_workers)

    def __repr__(self) -> str:
        return f"ThreadPoolTaskRunner(max_workers={self.max_workers})"


class RemoteTaskRunner(TaskRunner):
    """Shared logic of runners whose attempts execute in other processes: lifecycles run
    on local threads, each attempt is shipped with cloudpickle and its logs come back."""

    remote = True

    def __init__(self, lifecycle_threads: int) -> None:
        self._lifecycles = ThreadPoolTaskRunner(lifecycle_threads)

    def submit(self, run: TaskRun) -> None:
        run.remote = True
        self._lifecycles.submit(run)

    def _submit_payload(self, payload: bytes, key: str) -> Future[bytes] | Any:
        raise NotImplementedError

    def call_remote(self, ctx: TaskRunContext, spec: TaskSpec, args: tuple[Any, ...],
                    kwargs: dict[str, Any]) -> Any:
        cloudpickle = pickling.cloudpickle()
        payload = cloudpickle.dumps((spec.fn, args, kwargs, spec.is_async, ctx.task_run.task_key,
                                     ctx.log_prints))
        # Dask caches results by key: each attempt needs its own.
        future = self._submit_payload(
            payload, f"{ctx.task_run.task_key}-{ctx.task_run.id}-{ctx.task_run.attempts}")
        try:
            raw = future.result(timeout=spec.timeout_seconds)
        except TimeoutError:
            raise TaskTimeoutError(
                f"task run {ctx.task_run.task_key} exceeded its timeout of "
                f"{spec.timeout_seconds:g} s; its worker process finishes the call in the "
                "background; raise timeout_seconds."
            ) from None
        # A fourth item (the secrets the attempt loaded) is missing from older workers.
        status, value, logs, *rest = cloudpickle.loads(raw)
        if rest and rest[0]:
            # Secrets the attempt's process loaded: masked here too from now on, so the
            # failure message and the stored result of this attempt never hold them.
            register_secrets(rest[0])
        for level, name, message, created in logs:
            ctx.flow.recorder.log(LogRow(ctx.flow.flow_run.id, ctx.task_run.id, level, name,
                                         message, datetime.fromtimestamp(created, UTC)))
        if status == "err":
            raise value
        return value

    def shutdown(self) -> None:
        self._lifecycles.shutdown()


class ProcessPoolTaskRunner(RemoteTaskRunner):
    """Runs each attempt in a pool of worker processes (spawned, not forked, so threads
    of the flow process cannot deadlock them). Functions and arguments must be picklable
    by cloudpickle."""

    def __init__(self, max_workers: int | None = None) -> None:
        if max_workers is not None and (not isinstance(max_workers, int) or max_workers < 1):
            raise DefinitionError(
                f"ProcessPoolTaskRunner got max_workers={max_workers!r}; give an integer >= 1."
            )
        self.max_workers = max_workers or (os.cpu_count() or 1)
        super().__init__(max(self.max_workers * 4, 8))
        self._executor: Any = None
        self._lock = threading.Lock()

    def _submit_payload(self, payload: bytes, key: str) -> Future[bytes]:
        with self._lock:
            if self._executor is None:
                import multiprocessing
                from concurrent.futures import ProcessPoolExecutor

                self._executor = ProcessPoolExecutor(
                    self.max_workers, mp_context=multiprocessing.get_context("spawn"))
            executor = self._executor
        future: Future[bytes] = executor.submit(run_shipped_attempt, payload)
        return future

    def shutdown(self) -> None:
        super().shutdown()
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def duplicate(self) -> ProcessPoolTaskRunner:
        return type(self)(self.max_workers)

    def __repr__(self) -> str:
        return f"ProcessPoolTaskRunner(max_workers={self.max_workers})"


class _ShippedLogs(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[tuple[int, str, str, float]] = []

    def emit(self, record: logging.LogRecord) -> None:
        # Secrets loaded in this worker process are known here only: mask before shipping.
        self.records.append((record.levelno, record.name, mask(self.format(record)),
                             record.created))


def run_shipped_attempt(payload: bytes) -> bytes:
    """Entry point in a worker process: unpickle, call, pickle (status, value, logs,
    secrets), where secrets are the values this process masks, for the flow's process to
    mask as well."""
    import cloudpickle

    from legato.engine import run_logging, user_code
    from legato.engine.context import flow_run_ctx, task_run_ctx

    fn, args, kwargs, is_async, task_key, log_prints = cloudpickle.loads(payload)
    handler = _ShippedLogs()
    handler.setFormatter(logging.Formatter("%(message)s"))
    runs = logging.getLogger("legato.runs")
    runs.setLevel(logging.DEBUG)
    runs.addHandler(handler)
    ctx = _ShippedContext(task_key, log_prints)
    if log_prints:
        run_logging.enable_print_capture()
    f_token = flow_run_ctx.set(ctx.flow)  # type: ignore[arg-type]
    t_token = task_run_ctx.set(ctx)  # type: ignore[arg-type]
    try:
        result: tuple[str, Any, Any] = ("ok", user_code.call(fn, args, kwargs, is_async), None)
    except Exception as exc:
        user_code.trim_traceback(exc)
        result = ("err", exc, None)
    finally:
        task_run_ctx.reset(t_token)
        flow_run_ctx.reset(f_token)
        runs.removeHandler(handler)
    status, value, _ = result
    secrets = registered_secrets()
    try:
        return bytes(cloudpickle.dumps((status, value, handler.records, secrets)))
    except Exception as exc:
        return bytes(cloudpickle.dumps(("err", RuntimeError(
            f"task run {task_key} returned or raised a value that cannot be pickled back "
            f"({mask(str(exc))}); return something picklable."), handler.records, secrets)))


class _ShippedContext:
    """Just enough of a run context in a worker process for get_run_logger and prints."""

    def __init__(self, task_key: str, log_prints: bool) -> None:
        from types import SimpleNamespace

        self.log_prints = log_prints
        self.flow = SimpleNamespace(
            log_prints=log_prints,
            flow_run=SimpleNamespace(id="", name=task_key),
            recorder=SimpleNamespace(log=lambda row: None),
        )
        self.task_run = SimpleNamespace(id="", task_key=task_key)
