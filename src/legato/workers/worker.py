"""The worker: claims SCHEDULED runs of its queues through a Backend, launches each (a
warm fork or a subprocess), renews their leases, stops those whose cancellation was
requested (cooperatively first, then SIGTERM, then SIGKILL) and notices when they end.
Every step is a method tests call with a fake clock; `run` is the forever loop around them."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from legato._clock import SYSTEM_CLOCK, Clock
from legato.core.backend import Backend
from legato.core.cancel import CANCEL_REASON
from legato.core.limits import is_timeout_message
from legato.core.records import FlowRunRecord, FlowVersionRecord
from legato.core.states import StateType, is_terminal
from legato.core.workers import DEFAULT_LEASE_SECONDS, Claim
from legato.errors import BackendUnavailable, LegatoError, NotFound
from legato.workers.execute import CANCEL_SIGNAL, EXIT_STALE
from legato.workers.launcher import Child, Launcher, SubprocessLauncher

_log = logging.getLogger("legato.workers")
DEFAULT_GRACE_SECONDS = 30.0
DEFAULT_POLL_SECONDS = 1.0
# How long a cancelled run's process may take to stop at a task boundary before SIGTERM,
# and then to exit before SIGKILL.
DEFAULT_CANCEL_GRACE_SECONDS = 3.0
# At most this many CANCELLING runs are listed per check; past it, held runs are read one
# by one.
CANCEL_PAGE = 200
# Flow versions kept to hand to runs' processes (a version never changes).
VERSION_CACHE_SIZE = 64
SHUTDOWN_REASON = "worker shut down before the run finished"
# With every slot taken, how often the worker looks for children that finished.
FULL_CHECK_SECONDS = 0.02


@dataclass
class Running:
    """A run this worker launched and still holds."""

    flow_run_id: str
    epoch: int
    child: Child
    # Cancelling: 0 not asked, 1 asked to stop at a task boundary, 2 SIGTERM, 3 SIGKILL;
    # the next step is due at `cancel_deadline` (the clock's monotonic seconds).
    cancel_step: int = 0
    cancel_deadline: float = 0.0
    # How the run ends once its process is gone: CANCELLED by request, or FAILED with the
    # reason when the monitor stopped it for its run timeout.
    ending: tuple[StateType, str] = (StateType.CANCELLED, CANCEL_REASON)


class Worker:
    """Claims and executes flow runs of `queues`, at most `limit` at a time.

    >>> Worker(HttpBackend(url), "w1", ["default"]).run(threading.Event())  # doctest: +SKIP
    """

    def __init__(
        self,
        backend: Backend,
        name: str,
        queues: Sequence[str],
        limit: int = 4,
        launcher: Launcher | None = None,
        clock: Clock = SYSTEM_CLOCK,
        *,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        poll_seconds: float = DEFAULT_POLL_SECONDS,
        grace_seconds: float = DEFAULT_GRACE_SECONDS,
        cancel_grace_seconds: float = DEFAULT_CANCEL_GRACE_SECONDS,
    ) -> None:
        if limit < 1:
            raise ValueError(f"worker {name!r} got limit={limit}; limit must be >= 1.")
        self.backend = backend
        self.name = name
        self.queues = list(queues)
        self.limit = limit
        self.launcher: Launcher = launcher or SubprocessLauncher()
        self.clock = clock
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self.grace_seconds = grace_seconds
        self.cancel_grace_seconds = cancel_grace_seconds
        self.worker_id: str | None = None
        # Launchers whose processes execute runs with `legato.workers.execute` accept a run
        # that is RUNNING already, so the claim starts it and saves that process a round trip.
        self.start_claimed = bool(getattr(self.launcher, "starts_claimed", False))
        self.running: dict[str, Running] = {}
        self._versions: dict[str, FlowVersionRecord] = {}

    def register(self) -> str:
        """Announce this worker to the backend (once); return its id."""
        if self.worker_id is None:
            record = self.backend.register_worker(
                self.name, self.queues, pid=os.getpid(), host=socket.gethostname()
            )
            self.worker_id = record.id
        return self.worker_id

    def poll_once(self, now: datetime, *, wait_seconds: float = 0.0) -> list[Claim]:
        """Claim up to the free slots and launch each claimed run. With `wait_seconds`, a
        claim that finds nothing waits that long for a run to become claimable (long poll)."""
        worker_id = self.register()
        self.reap()
        free = self.limit - len(self.running)
        if free <= 0:
            return []
        claims = self.backend.claim_flow_runs(
            worker_id, self.queues, free, lease_seconds=self.lease_seconds,
            wait_seconds=wait_seconds, start=self.start_claimed,
        )
        for claim in claims:
            self._launch(claim)
        return claims

    def _launch(self, claim: Claim) -> None:
        run_id = claim.flow_run.id
        launch_claimed = getattr(self.launcher, "launch_claimed", None)
        try:
            if callable(launch_claimed):  # hands the process what it would read first
                child = launch_claimed(claim.flow_run, claim.epoch,
                                       self._version(claim.flow_run.flow_version_id))
            else:
                child = self.launcher.launch(run_id, claim.epoch)
        except OSError as error:
            self._crash(run_id, claim.epoch, f"the worker could not start the run ({error})")
            return
        self.running[run_id] = Running(run_id, claim.epoch, child)
        _log.info("worker %s launched flow run %s (epoch %d, pid %d)", self.name, run_id,
                  claim.epoch, child.pid)

    def _version(self, flow_version_id: str | None) -> FlowVersionRecord | None:
        """The pinned flow version (immutable, so kept), or None to let the run read it."""
        if flow_version_id is None:
            return None
        version = self._versions.get(flow_version_id)
        if version is None:
            try:
                version = self.backend.read_flow_version(flow_version_id)
            except LegatoError as error:
                _log.warning("could not read flow version %s: %s", flow_version_id, error)
                return None
            if len(self._versions) >= VERSION_CACHE_SIZE:
                self._versions.pop(next(iter(self._versions)))
            self._versions[flow_version_id] = version
        return version

    def heartbeat_once(self, now: datetime) -> None:
        """Renew the leases of every running child in one request (however many runs it
        holds, a renewal costs one round trip, so none of them is renewed late); a child
        whose lease is lost is terminated, since another holder may run it now."""
        worker_id = self.register()
        try:
            self.backend.worker_heartbeat(worker_id)
        except NotFound:
            self.worker_id = None
            worker_id = self.register()
        held = [(run.flow_run_id, run.epoch) for run in self.running.values()]
        if not held:
            return
        try:
            lost = self.backend.heartbeat_leases(worker_id, held,
                                                 lease_seconds=self.lease_seconds)
        except BackendUnavailable as error:
            _log.warning("lease heartbeat of %d flow runs failed: %s", len(held), error)
            return
        for flow_run_id in lost:
            run = self.running.get(flow_run_id)
            if run is None or run.child.poll() is not None:
                continue  # it ended its run itself (the lease went with it); reap() sees it
            del self.running[flow_run_id]
            _log.warning("worker %s no longer holds flow run %s (its lease expired or another "
                         "worker claimed it); stopping its process", self.name, flow_run_id)
            run.child.terminate()

    def cancel_once(self) -> list[str]:
        """Stop the process of every held run that became CANCELLING. A run cancelled by
        request is asked to stop at its next task boundary (it then ends CANCELLED by
        itself) and `escalate` terminates it if it does not within the cancel grace; a run
        the monitor stopped for its run timeout is terminated at once and ends FAILED with
        that reason. Returns the ids of the runs handled now."""
        fresh = {run.flow_run_id for run in self.running.values() if run.cancel_step == 0}
        if not fresh:
            return []
        handled = []
        for record in self._cancelling(fresh):
            run = self.running[record.id]
            if is_timeout_message(record.state_message):
                run.ending = (StateType.FAILED, record.state_message or "")
                self._escalate(run)
            elif CANCEL_SIGNAL is not None:
                run.child.send_signal(CANCEL_SIGNAL)
                run.cancel_step = 1
                run.cancel_deadline = self.clock.monotonic() + self.cancel_grace_seconds
            else:  # no cooperative signal on this platform
                self._escalate(run)
            handled.append(record.id)
            _log.info("worker %s is stopping flow run %s (%s)", self.name, record.id,
                      record.state_message)
        return handled

    def _cancelling(self, held: set[str]) -> list[FlowRunRecord]:
        """The `held` runs that are CANCELLING: one listing, or one read per run when more
        runs are cancelling than a page holds."""
        try:
            page = self.backend.list_flow_runs(states=[StateType.CANCELLING], limit=CANCEL_PAGE)
        except LegatoError as error:
            _log.warning("could not list cancelling flow runs: %s", error)
            return []
        if len(page) < CANCEL_PAGE:
            return sorted((run for run in page if run.id in held), key=lambda run: run.id)
        found = []
        for run_id in sorted(held):
            try:
                record = self.backend.read_flow_run(run_id)
            except LegatoError as error:
                _log.warning("could not read flow run %s: %s", run_id, error)
                continue
            if record.state is StateType.CANCELLING:
                found.append(record)
        return found

    def escalate(self) -> None:
        """Terminate (then kill) the process of a cancelled run that outlived its grace."""
        now = self.clock.monotonic()
        for run in list(self.running.values()):
            if 0 < run.cancel_step < 3 and now >= run.cancel_deadline:
                self._escalate(run)

    def _escalate(self, run: Running) -> None:
        if run.cancel_step < 2:
            run.child.terminate()
            run.cancel_step = 2
        else:
            run.child.kill()
            run.cancel_step = 3
        run.cancel_deadline = self.clock.monotonic() + self.cancel_grace_seconds

    def _next_escalation(self) -> float | None:
        deadlines = [run.cancel_deadline for run in self.running.values()
                     if 0 < run.cancel_step < 3]
        return min(deadlines, default=None)

    def reap(self) -> list[tuple[str, int]]:
        """Forget children that exited; a run a child left unfinished becomes CRASHED.
        Returns (flow run id, exit status) of each."""
        finished = []
        for run in list(self.running.values()):
            status = run.child.poll()
            if status is None:
                continue
            del self.running[run.flow_run_id]
            finished.append((run.flow_run_id, status))
            if run.cancel_step:
                self._end(run.flow_run_id, run.epoch, *run.ending)
            elif status not in (0, EXIT_STALE):
                self._crash(run.flow_run_id, run.epoch,
                            f"the run's process exited with status {status} before the run "
                            "finished")
        return finished

    def _crash(self, flow_run_id: str, epoch: int, reason: str) -> None:
        self._end(flow_run_id, epoch, StateType.CRASHED, reason)

    def _end(self, flow_run_id: str, epoch: int, state: StateType, reason: str) -> None:
        """Record the final state of a run its process left unfinished."""
        try:
            if is_terminal(self.backend.read_flow_run(flow_run_id).state):
                return
            self.backend.set_flow_run_state(flow_run_id, state, message=reason, epoch=epoch)
        except LegatoError as error:  # lost meanwhile, or unreachable: the monitor decides
            _log.warning("could not mark flow run %s %s: %s", flow_run_id, state.value, error)

    def shutdown(self) -> None:
        """Stop gracefully: wait up to the grace period for running children, then
        terminate the rest and mark their runs CRASHED; report the worker stopped."""
        deadline = self.clock.monotonic() + self.grace_seconds
        next_beat = self.clock.monotonic()
        while self.running and self.clock.monotonic() < deadline:
            if self.clock.monotonic() >= next_beat:
                self.heartbeat_once(self.clock.now())
                next_beat = self.clock.monotonic() + self.lease_seconds / 3
            self.escalate()
            self.reap()
            if self.running:
                self.clock.sleep(min(0.1, self.poll_seconds))
        for run in list(self.running.values()):
            run.child.terminate()
        for run in list(self.running.values()):
            _wait(run.child, self.clock)
            del self.running[run.flow_run_id]
            if run.cancel_step:
                self._end(run.flow_run_id, run.epoch, *run.ending)
            else:
                self._crash(run.flow_run_id, run.epoch, SHUTDOWN_REASON)
        close = getattr(self.launcher, "close", None)
        if callable(close):  # a warm launcher's parent process exits with the worker
            close()
        if self.worker_id is not None:
            try:
                self.backend.worker_heartbeat(self.worker_id, status="stopped")
            except LegatoError as error:
                _log.warning("could not report worker %s stopped: %s", self.name, error)

    def run(self, stop: threading.Event) -> None:
        """Until `stop` is set: long-poll for runs while slots are free (a new run is
        launched as soon as the backend sees it), check held runs for cancellation every
        `poll_seconds`, heartbeat every lease/3, and notice finished children within
        FULL_CHECK_SECONDS when every slot is taken; then shut down gracefully."""
        start = getattr(self.launcher, "start", None)
        if callable(start):  # a warm parent imports Legato now; claims wait until it is ready
            try:
                start()
            except OSError as error:
                _log.warning("worker %s could not start its launcher: %s", self.name, error)
        next_beat = next_check = 0.0
        while not stop.is_set():
            try:
                if self.clock.monotonic() >= next_beat:
                    self.heartbeat_once(self.clock.now())
                    next_beat = self.clock.monotonic() + self.lease_seconds / 3
                if self.clock.monotonic() >= next_check:
                    self.cancel_once()
                    next_check = self.clock.monotonic() + self.poll_seconds
                self.escalate()
                due = min(next_check, next_beat, self._next_escalation() or next_check)
                wait = max(0.0, due - self.clock.monotonic())
                if self.poll_once(self.clock.now(), wait_seconds=wait):
                    continue
            except BackendUnavailable as error:
                _log.warning("worker %s cannot reach the backend: %s", self.name, error)
                stop.wait(self.poll_seconds)
                continue
            if len(self.running) >= self.limit:
                stop.wait(FULL_CHECK_SECONDS)
        self.shutdown()


def _wait(child: Child, clock: Clock, seconds: float = 5.0) -> None:
    """Wait for a terminated child to exit; kill it if it will not."""
    deadline = clock.monotonic() + seconds
    while child.poll() is None:
        if clock.monotonic() >= deadline:
            child.kill()
            return
        clock.sleep(0.05)
