"""Task-level concurrency limits in the engine: a task run carrying a tag that has a limit
takes a slot of it before each attempt and frees it after, waiting meanwhile. The set of
limited tags is cached per flow run (refreshed every few seconds, only by tagged tasks), so
untagged tasks and tags without a limit cost nothing; held slots are leases that one keeper
thread renews while their task runs are RUNNING."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from legato._clock import Clock
from legato.core.backend import Backend
from legato.errors import CancelledRun, LegatoError

_log = logging.getLogger("legato.runs.task")
# A slot of a process that died frees itself after LEASE_SECONDS; live holders renew it
# every RENEW_SECONDS.
LEASE_SECONDS = 30.0
RENEW_SECONDS = LEASE_SECONDS / 3
# How long the set of limited tags is trusted before a tagged task reads it again.
REFRESH_SECONDS = 5.0
# A waiting task asks again after a wake-up (in this process, or any on PostgreSQL) or
# after a pause growing from FIRST_WAIT to MAX_WAIT seconds, and checks for cancellation.
FIRST_WAIT_SECONDS = 0.05
MAX_WAIT_SECONDS = 1.0


class TaskSlots:
    """The slots of the task runs of one flow run (and its subflows) in this process."""

    def __init__(self, backend: Backend, clock: Clock) -> None:
        self.backend = backend
        self.clock = clock
        self._limited: frozenset[str] = frozenset()
        self._read_at: float | None = None
        self._lock = threading.Lock()
        self._held: set[str] = set()
        self._keeper: threading.Thread | None = None
        self._stopped = threading.Event()

    def limited(self, tags: Sequence[str]) -> list[str]:
        """The tags among `tags` that have a concurrency limit (a cached answer)."""
        now = self.clock.monotonic()
        if self._read_at is None or now - self._read_at >= REFRESH_SECONDS:
            try:
                self._limited = self.backend.limited_tags()
            except LegatoError as exc:
                # Keep the last answer: a task should not fail because limits are unreadable.
                _log.warning("could not read the concurrency limits (%s); using the last "
                             "known ones", exc)
            self._read_at = now
        return [tag for tag in tags if tag in self._limited]

    def acquire(self, task_run_id: str, flow_run_id: str, tags: list[str], where: str,
                cancel: threading.Event) -> None:
        """Hold a slot of every tag in `tags` for the task run, waiting as long as it takes;
        CancelledRun when the flow run is cancelled meanwhile."""
        wait = FIRST_WAIT_SECONDS
        told = False
        while True:
            if cancel.is_set():
                raise CancelledRun()
            grant = self.backend.acquire_task_slots(
                task_run_id, flow_run_id, tags, lease_seconds=LEASE_SECONDS, wait_seconds=wait)
            if grant.acquired:
                break
            if not told:
                _log.info("%s waits for a slot of concurrency limit(s) %s",
                          where, ", ".join(repr(t) for t in grant.blocked_by))
                told = True
            wait = min(wait * 2, MAX_WAIT_SECONDS)
        with self._lock:
            self._held.add(task_run_id)
            if self._keeper is None:
                self._keeper = threading.Thread(target=self._keep, name="legato-task-slots",
                                                daemon=True)
                self._keeper.start()

    def release(self, task_run_id: str) -> None:
        """Free a task run's slots; a failure is logged, the lease then frees them."""
        with self._lock:
            self._held.discard(task_run_id)
        try:
            self.backend.release_task_slots(task_run_id)
        except LegatoError as exc:
            _log.warning("could not free the concurrency slots of task run %s (%s); they "
                         "free themselves within %g s", task_run_id, exc, LEASE_SECONDS)

    def close(self) -> None:
        """Stop renewing (the flow run is over; its task runs hold nothing)."""
        self._stopped.set()

    def _keep(self) -> None:
        while not self._stopped.wait(RENEW_SECONDS):
            with self._lock:
                held = list(self._held)
                if not held:
                    self._keeper = None
                    return
            try:
                self.backend.renew_task_slots(held, lease_seconds=LEASE_SECONDS)
            except LegatoError as exc:
                _log.warning("could not renew the concurrency slots of %d task run(s) (%s); "
                             "trying again in %g s", len(held), exc, RENEW_SECONDS)
        with self._lock:
            self._keeper = None
