"""Workers and leases through the one door: register workers, claim SCHEDULED runs with a
lease and a fencing epoch, renew leases, and crash (and maybe reschedule) runs whose lease
expired. Used by LocalBackend (claims, heartbeats) and the monitor (expiry)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from legato._clock import Clock, perf_seconds
from legato.core.ids import new_id
from legato.core.limits import timeout_message
from legato.core.records import FlowRunRecord, StateEvent
from legato.core.states import StateType, is_terminal
from legato.core.workers import Claim, ExpiredRun, WorkerRecord
from legato.errors import NotFound, ParameterError, StaleEpoch
from legato.orchestration.claims import pick
from legato.orchestration.run_events import RunChange, record_run_changes
from legato.orchestration.service import OrchestrationService, next_record
from legato.store import claims as claim_rows
from legato.store import events, leases, runs, slots
from legato.store import workers as store
from legato.store.database import Connection

ONLINE = "online"
STOPPED = "stopped"
CRASH_RETRY_MESSAGE = "rescheduled after its worker died (crash retry {n} of {of})"
# The message of the RUNNING state a claim with start=True records.
STARTED_MESSAGE = "started by its worker's claim"
# How often a waiting claim looks again without a wake-up.
RECHECK_SECONDS = 1.0


def _check_lease_seconds(lease_seconds: float) -> None:
    if not lease_seconds > 0:
        raise ParameterError(
            f"lease_seconds={lease_seconds} is not positive; give leases a duration in "
            "seconds greater than 0."
        )


def worker_not_found(worker_id: str) -> NotFound:
    """The error for an unknown worker id."""
    return NotFound(
        f"worker {worker_id!r} is not registered; register the worker before it claims runs."
    )


class LeaseService:
    """Claims, leases and workers over the orchestration service's database."""

    def __init__(self, service: OrchestrationService) -> None:
        self.service = service
        self.db = service.db

    # -- workers ------------------------------------------------------------------------
    def register_worker(
        self,
        name: str,
        queues: Sequence[str],
        now: datetime,
        *,
        pid: int | None = None,
        host: str | None = None,
    ) -> WorkerRecord:
        """Register a worker by name (a restarted worker keeps its id) as online."""
        if not queues:
            raise ParameterError(f"worker {name!r} listens to no queue; give it at least one.")
        with self.db.writing() as conn:
            known = store.find_by_name(conn, name)
            record = WorkerRecord(known or new_id(), name, tuple(queues), now, ONLINE, pid, host)
            if known is None:
                store.insert_worker(conn, record)
            else:
                store.update_worker(conn, record)
        return record

    def worker_heartbeat(self, worker_id: str, now: datetime, status: str = ONLINE) -> None:
        """Record that a worker is alive (or, with status "stopped", that it left)."""
        with self.db.writing() as conn:
            if not store.touch(conn, worker_id, now, status):
                raise worker_not_found(worker_id)

    def list_workers(self) -> list[WorkerRecord]:
        """Every registered worker, by name."""
        with self.db.reading() as conn:
            return store.list_workers(conn)

    # -- claims -------------------------------------------------------------------------
    def claim_flow_runs(
        self,
        worker_id: str,
        queues: Sequence[str],
        limit: int,
        now: datetime,
        lease_seconds: float,
        *,
        start: bool = False,
    ) -> list[Claim]:
        """Move up to `limit` due SCHEDULED runs of `queues` to PENDING, each leased to the
        worker at a new epoch and holding a slot of every limit that applies to it; higher
        queue priority, then higher run priority, then oldest scheduled first. Concurrent
        claimers never share a run nor overfill a limit. With `start`, each claimed run
        goes on to RUNNING in the same transaction (the worker launches it at once, so its
        process need not report RUNNING itself; ADR 0022)."""
        _check_lease_seconds(lease_seconds)
        if limit <= 0 or not queues:
            return []
        expires = now + timedelta(seconds=lease_seconds)
        claims: list[Claim] = []
        with self.db.writing() as conn:
            outlook = claim_rows.claim_outlook(conn, worker_id, queues, now)
            worker_name = outlook.worker_name
            if worker_name is None:
                raise worker_not_found(worker_id)
            if not outlook.due:
                return claims
            picked = pick(conn, queues, limit, now, outlook)
            if not picked:
                return claims
            # Every claimed run is written with a handful of statements for all of them, not
            # a handful per run: the claim is on the path of every run (ADR 0022). The
            # candidates' query read (and locked) the runs themselves.
            stored = {candidate.id: candidate.run for candidate, _ in picked}
            steps = [(StateType.PENDING, f"claimed by worker {worker_name}")]
            if start:
                steps.append((StateType.RUNNING, STARTED_MESSAGE))
            claimed: list[tuple[FlowRunRecord, int]] = []
            grants: list[dict[str, Any]] = []
            state_events: list[StateEvent] = []
            changes: list[RunChange] = []
            for candidate, keys in picked:
                locked = stored.get(candidate.id)
                if locked is None or locked.record.state is not StateType.SCHEDULED:
                    continue
                record, epoch = locked.record, locked.epoch
                for state, message in steps:
                    state_events.append(StateEvent(record.id, "flow", record.state, state, now,
                                                   message, False))
                    changes.append(RunChange.of(record, state, message))
                    record = next_record(record, state, message, None, False, now)
                epoch += 1
                timeout = candidate.run_timeout_seconds
                grants.append({"flow_run_id": record.id, "worker_id": worker_id, "epoch": epoch,
                               "expires_at": expires, "heartbeat_at": now,
                               "timeout_at": None if timeout is None
                               else now + timedelta(seconds=timeout)})
                slots.acquire(conn, keys, candidate.id, now, expires)
                claimed.append((record, epoch))
                claims.append(Claim(record, epoch, expires))
            runs.write_claimed_runs(conn, claimed)
            leases.grant_all(conn, grants)
            events.insert_events(conn, state_events)
            record_run_changes(conn, changes, now,
                               origins={i: run.origin for i, run in stored.items()})
        return claims

    def claim_waiting(
        self,
        worker_id: str,
        queues: Sequence[str],
        limit: int,
        clock: Clock,
        lease_seconds: float,
        wait_seconds: float,
        *,
        start: bool = False,
    ) -> list[Claim]:
        """Claim like `claim_flow_runs` at `clock.now()`; when nothing is claimable, wait up
        to `wait_seconds` (real time) for a committed write that makes a run claimable and
        try again, and look again every RECHECK_SECONDS in case a wake-up is not delivered
        (another process writing to SQLite, runs whose scheduled time arrives)."""
        deadline = perf_seconds() + wait_seconds
        while True:
            seen = self.db.doorbell.generation
            claims = self.claim_flow_runs(
                worker_id, queues, limit, clock.now(), lease_seconds, start=start
            )
            remaining = deadline - perf_seconds()
            if claims or remaining <= 0:
                return claims
            self.db.wait_claimable(seen, min(remaining, RECHECK_SECONDS))

    def heartbeat_lease(
        self, flow_run_id: str, worker_id: str, epoch: int, now: datetime, lease_seconds: float
    ) -> datetime:
        """Extend a lease to now + lease_seconds and return the new expiry; StaleEpoch
        when the worker no longer holds the run at `epoch`."""
        _check_lease_seconds(lease_seconds)
        expires = now + timedelta(seconds=lease_seconds)
        with self.db.writing() as conn:
            renewed = leases.renew(conn, flow_run_id, worker_id, epoch, now, expires)
            if renewed:
                slots.renew(conn, flow_run_id, expires)
            else:
                raise StaleEpoch(
                    f"worker {worker_id} no longer holds flow run {flow_run_id} at epoch "
                    f"{epoch} (the lease expired or the run ended); stop executing it."
                )
        return expires

    def heartbeat_leases(
        self,
        worker_id: str,
        held: Sequence[tuple[str, int]],
        now: datetime,
        lease_seconds: float,
    ) -> list[str]:
        """`heartbeat_lease` for each held run, each in its own transaction (a run's lease
        is locked alone, as the monitor locks them); the ids of the runs no longer held."""
        _check_lease_seconds(lease_seconds)
        lost = []
        for flow_run_id, epoch in held:
            try:
                self.heartbeat_lease(flow_run_id, worker_id, epoch, now, lease_seconds)
            except StaleEpoch:
                lost.append(flow_run_id)
        return lost

    # -- expiry -------------------------------------------------------------------------
    def expire_leases(self, now: datetime, *, default_retries: int = 0) -> list[ExpiredRun]:
        """Crash every unfinished run whose lease expired before `now`, fence off its holder
        and drop the lease; reschedule it when its crash retries allow. O(expired leases).
        Like a run's state change, it locks the flow_runs row before the lease row."""
        with self.db.writing() as conn:
            handled = (
                self._expire(conn, lease, now, default_retries)
                for lease in leases.expired(conn, now)
            )
            return [run for run in handled if run is not None]

    def time_out_runs(self, now: datetime) -> list[str]:
        """Ask the worker of every run past its deployment's run timeout to stop it: the
        run becomes CANCELLING with "timed out after N s", which the worker turns into
        FAILED once the process is gone. Returns the ids of those runs. O(timed-out leases)."""
        with self.db.writing() as conn:
            return [
                lease.flow_run_id for lease in leases.timed_out(conn, now)
                if self._time_out(conn, lease, now)
            ]

    def _time_out(self, conn: Connection, lease: leases.TimedOutLease, now: datetime) -> bool:
        current = runs.read_flow_run(conn, lease.flow_run_id, for_update=True)
        if not leases.lock_timed_out(conn, lease.flow_run_id, now):
            return False
        leases.clear_timeout(conn, lease.flow_run_id)
        if (current is None or lease.timeout_seconds is None or is_terminal(current.state)
                or current.state is StateType.CANCELLING):
            return False  # finished, cancelled already, or its deployment dropped the timeout
        message = timeout_message(lease.timeout_seconds)
        self.service.transition(conn, current, StateType.CANCELLING, message, None, True)
        return True

    def sweep_slots(self, now: datetime) -> int:
        """Delete concurrency slots whose lease expired (claims already ignore them)."""
        with self.db.writing() as conn:
            return slots.delete_expired(conn, now)

    def _expire(
        self, conn: Connection, lease: leases.ExpiredLease, now: datetime, default_retries: int
    ) -> ExpiredRun | None:
        current = runs.read_flow_run(conn, lease.flow_run_id, for_update=True)
        if not leases.lock_expired(conn, lease.flow_run_id, now):
            return None  # renewed, re-claimed or released while this sweep waited for the run
        leases.release(conn, lease.flow_run_id)
        slots.release_run(conn, lease.flow_run_id)
        if current is None or is_terminal(current.state):
            return ExpiredRun(lease.flow_run_id, lease.worker_name, False, False)
        leases.bump_epoch(conn, current.id)
        leases.count_crash(conn, current.id)
        reason = (
            f"lease expired: worker {lease.worker_name} stopped heartbeating at "
            f"{lease.heartbeat_at.isoformat()}"
        )
        crashed = self.service.transition(conn, current, StateType.CRASHED, reason, None, True)
        allowed = lease.crash_retries if lease.crash_retries is not None else default_retries
        crashes = lease.crash_count + 1
        if crashes > allowed:
            return ExpiredRun(current.id, lease.worker_name, True, False)
        message = CRASH_RETRY_MESSAGE.format(n=crashes, of=allowed)
        self.service.transition(conn, crashed, StateType.SCHEDULED, message, None, True)
        return ExpiredRun(current.id, lease.worker_name, True, True)
