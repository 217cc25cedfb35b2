"""The monitor: `tick(now)` finds runs whose lease expired (their worker stopped
heartbeating), marks them CRASHED with the reason, fences off the old holder, and
reschedules them when their crash retries allow; it also fails suspended runs nobody
resumed in time, stops runs past their deployment's run timeout and deletes expired
concurrency slots. `run()` is the forever loop around it."""

from __future__ import annotations

import threading
from datetime import datetime

from legato._clock import SYSTEM_CLOCK, Clock
from legato._logging import get_logger
from legato.core.workers import ExpiredRun
from legato.errors import ConfigError
from legato.orchestration.leases import LeaseService
from legato.orchestration.pauses import PauseService
from legato.orchestration.service import OrchestrationService
from legato.store.database import Database

DEFAULT_SWEEP_SECONDS = 5.0
_log = get_logger("legato.scheduling.monitor")


class Monitor:
    """Sweeps expired leases; costs O(expired leases), never O(runs).

    `default_retries` is how often a crashed run without a deployment (or whose deployment
    says nothing) is rescheduled; a deployment's `crash_retries` wins.

    >>> Monitor(db, FakeClock()).tick(datetime(2026, 3, 8, 12, tzinfo=UTC))
    """

    def __init__(
        self,
        db_or_service: Database | OrchestrationService,
        clock: Clock | None = None,
        *,
        default_retries: int = 0,
    ) -> None:
        if isinstance(db_or_service, OrchestrationService):
            service = db_or_service
        else:
            service = OrchestrationService(db_or_service, clock or SYSTEM_CLOCK)
        if default_retries < 0:
            raise ConfigError(f"Monitor got default_retries={default_retries}; use 0 or more.")
        self.leases = LeaseService(service)
        self.pauses = PauseService(service)
        self.clock = clock or service.clock
        self.default_retries = default_retries

    def tick(self, now: datetime | None = None) -> list[ExpiredRun]:
        """Crash (and maybe reschedule) every run whose lease expired before `now`."""
        now = self.clock.now() if now is None else now
        self.sweep_pauses(now)
        self.sweep_timeouts(now)
        handled: list[ExpiredRun] = []
        while True:
            batch = self.leases.expire_leases(now, default_retries=self.default_retries)
            handled.extend(batch)
            for run in batch:
                if run.crashed:
                    _log.warning("flow run %s CRASHED: lease of worker %s expired%s",
                                 run.flow_run_id, run.worker_name,
                                 "; rescheduled" if run.rescheduled else "")
            if not batch:
                self.leases.sweep_slots(now)
                return handled

    def sweep_timeouts(self, now: datetime) -> list[str]:
        """Move every run past its deployment's run timeout to CANCELLING (its worker then
        stops it and ends it FAILED); return their ids."""
        stopped: list[str] = []
        while batch := self.leases.time_out_runs(now):
            stopped.extend(batch)
            for flow_run_id in batch:
                _log.warning("flow run %s timed out; asking its worker to stop it", flow_run_id)
        return stopped

    def sweep_pauses(self, now: datetime) -> list[str]:
        """Fail every suspended run not resumed before its deadline; return their ids."""
        failed = self.pauses.fail_overdue(now)
        for flow_run_id in failed:
            _log.warning("flow run %s FAILED: suspended past its deadline", flow_run_id)
        return failed

    def run(self, stop: threading.Event, *, interval_seconds: float = DEFAULT_SWEEP_SECONDS) -> None:
        """Tick every `interval_seconds` until `stop` is set; a failed tick is logged and
        retried on the next one."""
        while not stop.is_set():
            try:
                self.tick()
            except Exception:
                _log.exception("monitor tick failed; retrying in %s s", interval_seconds)
            stop.wait(interval_seconds)
