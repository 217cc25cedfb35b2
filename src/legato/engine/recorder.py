"""The write-behind recorder: the engine's one writer to the backend.

Threads enqueue task-run snapshots, state events, logs and edges; a single writer thread
drains whatever has accumulated and commits it as one batch (group commit). While one batch
commits, the next accumulates, so thousands of transitions per second cost a handful of
transactions. `flush()` returns once everything enqueued before it is committed."""

from __future__ import annotations

import _thread
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from legato._clock import SYSTEM_CLOCK, Clock, perf_seconds
from legato.core.backend import Backend
from legato.core.records import (
    ArtifactRow,
    Edge,
    Fence,
    FlowRunEnding,
    LogRow,
    StateEvent,
    TaskRunRow,
    WriteBatch,
)
from legato.engine.masking import mask
from legato.errors import BackendUnavailable, StaleEpoch, StateTransitionError

_log = logging.getLogger("legato.engine.recorder")

MAX_BATCH_ITEMS = 50_000
# How long the writer gathers changes before committing, unless someone flushes. Changes
# of one task run that land in the same batch become one row instead of insert + updates.
DEFAULT_LINGER_SECONDS = 0.02
# Backpressure: past this many queued changes, producers wait for the writer to finish a
# batch. Without it, busy engine threads starve the writer of the GIL and a big run ends
# with a long flush instead of writing while it runs.
HIGH_WATER = 100_000
_RETRY_DELAYS = (0.05, 0.2, 0.5, 1.0, 2.0, 5.0, 5.0, 5.0, 10.0, 10.0)


def start_daemon(target: Callable[[], None], name: str) -> threading.Event:
    """Run `target` on a new daemon thread named `name` without waiting for the thread to
    be scheduled (threading.Thread.start waits for that, which on a loaded host costs a run's
    process milliseconds on its way to the first line); the event is set once it returns."""
    done = threading.Event()

    def run() -> None:
        threading.current_thread().name = name
        try:
            target()
        finally:
            done.set()

    _thread.start_new_thread(run, ())
    return done


class _Flush:
    __slots__ = ("done", "error")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.error: BaseException | None = None


class _Stop:
    pass


class Recorder:
    """Batches writes to a Backend on a background thread; see the module docstring."""

    def __init__(self, backend: Backend, clock: Clock = SYSTEM_CLOCK,
                 linger: float = DEFAULT_LINGER_SECONDS) -> None:
        self._backend = backend
        self._clock = clock
        self._linger = linger
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        # Set once the writer thread has returned; None while there is no writer thread.
        self._thread: threading.Event | None = None
        self._start_lock = threading.Lock()
        self._error: BaseException | None = None
        self._batch_done = threading.Condition()
        # Changes taken off the queue and not committed yet (set by the writer only).
        self._in_flight = 0
        # Set by flush/close so the writer stops lingering; cleared once a batch carried a
        # marker. A flush that races the clearing still completes, at most one linger later.
        self._urgent = False
        # What a lingering writer waits on: flush, close and backpressure set it. Changes
        # are not announced: waking the writer for each of them cost a thread switch and a
        # hand-over of the interpreter lock per change while it lingered.
        self._wake = threading.Event()
        self.batches_written = 0
        self.rejected: list[str] = []
        # A worker's claim: every batch carries it, and a StaleEpoch answer means this
        # process lost the run, so `on_fenced` stops it at the next task boundary.
        self.fence: Fence | None = None
        self.on_fenced: Callable[[], None] | None = None
        self.fenced = False

    # -- producers (any thread) -------------------------------------------------------
    def task_change(self, change: tuple[Any, ...]) -> None:
        """Record a task-run transition: (run, to_state, from_state, message, timestamp,
        forced, attempts, start_time, end_time, result_ref, cache_key, child_flow_run_id,
        is_new), where `run` has the constant fields id, flow, key, spec.name, map_index
        and created."""
        self._queue.put(change)
        if self._thread is None:
            self._start()
        elif self._queue.qsize() + self._in_flight > HIGH_WATER:
            self._wait_for_writer()

    def log(self, row: LogRow) -> None:
        self._queue.put(row)
        if self._thread is None:
            self._start()

    def edge(self, edge: Edge) -> None:
        self._queue.put(edge)
        if self._thread is None:
            self._start()

    def artifact(self, row: ArtifactRow) -> None:
        self._queue.put(row)
        if self._thread is None:
            self._start()

    def flush(self, timeout: float | None = None, *, ending: FlowRunEnding | None = None) -> None:
        """Block until everything enqueued so far is committed; re-raise a write failure.
        With `ending`, the flow run's final state goes last into the same batch (one commit
        for both); a refusal of it, or of a task run in that batch, is raised as
        StateTransitionError once the rest is committed."""
        if ending is not None:
            self._queue.put(ending)
            if self._thread is None:
                self._start()
        if self._thread is None:
            return
        marker = _Flush()
        self._urgent = True
        self._queue.put(marker)
        self._wake.set()
        if not marker.done.wait(timeout):
            raise BackendUnavailable(
                f"the recorder could not commit state within {timeout} s; check the database."
            )
        if marker.error is not None:
            raise marker.error

    def close(self) -> None:
        """Flush and stop the writer thread."""
        if self._thread is None:
            return
        self.flush()
        self._urgent = True
        self._queue.put(_Stop())
        self._wake.set()
        self._thread.wait()
        self._thread = None

    def _wait_for_writer(self) -> None:
        self._wake.set()
        with self._batch_done:
            # Bounded wait: a stuck writer must not hang the run; flush reports its error.
            self._batch_done.wait(timeout=1.0)

    # -- the writer thread --------------------------------------------------------------
    def _start(self) -> None:
        with self._start_lock:
            if self._thread is None:
                self._thread = start_daemon(self._run, "legato-recorder")

    def _run(self) -> None:
        while True:
            items = self._gather()
            self._in_flight = len(items)
            batch, markers, stop = self._collect(items)
            if markers:
                self._urgent = False
            if batch:
                self._commit(batch)
            self._in_flight = 0
            with self._batch_done:
                self._batch_done.notify_all()
            for marker in markers:
                marker.error = self._error
                marker.done.set()
            self._error = None if markers else self._error
            if stop:
                return

    def _gather(self) -> list[Any]:
        """Block for the first change, then take more for up to `linger` seconds; a flush,
        a stop request or backpressure ends the wait at once."""
        q = self._queue
        get_nowait = q.get_nowait
        wake = self._wake
        items = [q.get()]
        # Monotonic wall time on purpose: linger is a real-time batching window, not a
        # schedule, so a fake clock in tests must not stretch or skip it.
        deadline = perf_seconds() + self._linger
        woken = False
        while True:
            # Drain in a tight loop: no per-item checks (flush() raises `_urgent` instead).
            try:
                for _ in range(MAX_BATCH_ITEMS - len(items)):
                    items.append(get_nowait())
            except queue.Empty:
                pass
            last = type(items[-1])
            if woken or self._urgent or last is _Flush or last is _Stop or \
                    len(items) >= MAX_BATCH_ITEMS:
                return items
            remaining = deadline - perf_seconds()
            if remaining <= 0:
                return items
            # Cleared only once it ended a wait, so a set that came first (before this
            # thread even ran) still counts; a stale one only ends one batch early.
            woken = wake.wait(remaining)
            if woken:
                wake.clear()

    def _collect(self, items: list[Any]) -> tuple[WriteBatch, list[_Flush], bool]:
        latest: dict[str, tuple[Any, ...]] = {}
        # Runs created in this batch: the first change of a new run says so (is_new).
        created: set[str] = set()
        events: list[StateEvent] = []
        logs: list[LogRow] = []
        edges: list[Edge] = []
        artifacts: list[ArtifactRow] = []
        markers: list[_Flush] = []
        ending: FlowRunEnding | None = None
        stop = False
        for item in items:
            if type(item) is tuple:
                run = item[0]
                run_id = run.id
                events.append(StateEvent(run_id, "task", item[2], item[1], item[4], item[3],
                                         item[5]))
                latest[run_id] = item
                if item[12]:
                    created.add(run_id)
            elif type(item) is LogRow:
                logs.append(item)
            elif type(item) is Edge:
                edges.append(item)
            elif type(item) is _Flush:
                markers.append(item)
            elif type(item) is ArtifactRow:
                artifacts.append(item)
            elif type(item) is FlowRunEnding:
                ending = item
            else:
                stop = True
        rows = [_row(item, run_id in created) for run_id, item in latest.items()]
        batch = WriteBatch(rows, events, logs, edges, self.fence, artifacts, ending)
        return batch, markers, stop

    def _commit(self, batch: WriteBatch) -> None:
        for delay in (*_RETRY_DELAYS, None):
            try:
                self._backend.write(batch)
                self.batches_written += 1
                return
            except StaleEpoch as exc:
                self._error = exc
                self.fenced = True
                _log.error("this process no longer owns the flow run: %s", exc)
                if self.on_fenced is not None:
                    self.on_fenced()
                return
            except StateTransitionError as exc:
                # The rest of the batch is committed; a refused run keeps its stored state.
                self.rejected.append(str(exc))
                _log.warning("state change refused: %s", exc)
                if batch.ending is not None:  # whoever ends the run decides what it means
                    self._error = exc
                return
            except BackendUnavailable as exc:
                if delay is None:
                    self._error = exc
                    _log.error("giving up writing run state: %s", exc)
                    return
                _log.warning("database unavailable, retrying in %.2f s: %s", delay, exc)
                self._clock.sleep(delay)
            except Exception as exc:  # a bug or a constraint violation: report, keep going
                self._error = exc
                _log.exception("writing run state failed")
                return


def _row(change: tuple[Any, ...], is_new: bool) -> TaskRunRow:
    (run, state, _, message, now, _, attempts, start_time, end_time, result, cache_key,
     child_flow_run_id, _) = change
    return TaskRunRow(run.id, run.flow.flow_run.id, run.key, run.spec.name, run.map_index, state,
                      mask(message) if message else message, attempts, run.created, now, start_time, end_time, result,
                      cache_key, child_flow_run_id, is_new)
