"""The scheduler: `tick(now)` turns the due slots of every live schedule into SCHEDULED runs
(at most one per slot) and flags late runs; `run()` is the forever-loop around it."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from legato._clock import SYSTEM_CLOCK, Clock
from legato._logging import get_logger
from legato.core.deployments import schedule_key
from legato.core.schedules import CatchupPolicy, ScheduleSpec
from legato.errors import ConfigError
from legato.orchestration.deployments import SlotRun, insert_slot_runs
from legato.orchestration.run_events import record_late_runs
from legato.orchestration.service import OrchestrationService
from legato.scheduling.catchup import SlotPlan, plan_slots
from legato.scheduling.slots import SlotSource, compile_schedule, next_slot
from legato.store import schedules
from legato.store.database import Connection, Database
from legato.store.schedules import DueSchedule, ScheduleAdvance

DEFAULT_LATE_AFTER_SECONDS = 60.0
DEFAULT_BATCH_SIZE = 500
_COMPILED_CACHE_SIZE = 10_000
# Runs (and late flags) per write transaction at most, plus one schedule's catch-up.
MAX_RUNS_PER_TRANSACTION = 2_000
_log = get_logger("legato.scheduling.scheduler")


@dataclass(frozen=True, slots=True)
class TickResult:
    """What one tick did: runs created, slots whose run already existed (another scheduler
    made it), missed slots dropped by catch-up policies, runs newly flagged late, and
    malformed schedules set aside."""

    created: int = 0
    duplicates: int = 0
    skipped: int = 0
    late: int = 0
    errors: int = 0
    schedules: int = 0


class Scheduler:
    """Makes the runs of due schedule slots. Several schedulers may tick one database at once.

    >>> Scheduler(db, FakeClock()).tick(datetime(2026, 3, 8, 12, tzinfo=UTC)).created
    """

    def __init__(
        self,
        db_or_service: Database | OrchestrationService,
        clock: Clock | None = None,
        *,
        lookahead_seconds: float = 0.0,
        late_after_seconds: float = DEFAULT_LATE_AFTER_SECONDS,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        if isinstance(db_or_service, OrchestrationService):
            self.db = db_or_service.db
            clock = clock or db_or_service.clock
        else:
            self.db = db_or_service
        self.clock = clock or SYSTEM_CLOCK
        for label, value in (("lookahead_seconds", lookahead_seconds),
                             ("late_after_seconds", late_after_seconds)):
            if value < 0:
                raise ConfigError(f"Scheduler got {label}={value}; use 0 or more seconds.")
        if batch_size <= 0:
            raise ConfigError(f"Scheduler got batch_size={batch_size}; use 1 or more.")
        self.lookahead = timedelta(seconds=lookahead_seconds)
        self.late_after = timedelta(seconds=late_after_seconds)
        self.batch_size = batch_size
        self._sources: dict[ScheduleSpec, SlotSource] = {}

    def tick(self, now: datetime | None = None) -> TickResult:
        """Create the runs of every slot due by `now` (plus the lookahead), advance those
        schedules in the same transaction, and flag runs late past the grace period."""
        now = self.clock.now() if now is None else now
        until = now + self.lookahead
        totals = [0, 0, 0, 0]  # created, duplicates, skipped, errors
        handled = 0
        finished = False
        # One transaction per tick (a commit costs more than a batch's inserts), cut after
        # MAX_RUNS_PER_TRANSACTION runs so that a long catch-up never holds SQLite's write
        # lock for long. A schedule's runs and its advance always commit together; claimed
        # schedules move past `until`, so a later batch never sees them again, and on
        # PostgreSQL their row locks keep other schedulers off them until the commit.
        late = 0
        flagging = True
        while not finished or flagging:
            with self.db.writing() as conn:
                room = MAX_RUNS_PER_TRANSACTION
                while not finished and room > 0:
                    due = schedules.claim_due_schedules(conn, until, self.batch_size)
                    counts, taken = self._handle(conn, due, until, now, room)
                    totals = [a + b for a, b in zip(totals, counts, strict=True)]
                    handled += taken
                    room -= counts[0] + counts[1]
                    finished = taken == len(due) and len(due) < self.batch_size
                if finished:  # late flags ride the tick's last transaction when they fit
                    flagged = schedules.flag_late_runs(conn, now - self.late_after,
                                                       MAX_RUNS_PER_TRANSACTION)
                    record_late_runs(conn, flagged, now)
                    late += len(flagged)
                    flagging = len(flagged) == MAX_RUNS_PER_TRANSACTION
        if late:
            _log.info("flagged %d scheduled runs late (not started %s after their slot)",
                      late, self.late_after)
        created, duplicates, skipped, errors = totals
        return TickResult(created, duplicates, skipped, late, errors, handled)

    def _handle(
        self, conn: Connection, due: list[DueSchedule], until: datetime, now: datetime,
        room: int,
    ) -> tuple[list[int], int]:
        """Plan and insert the runs of `due` schedules, stopping once `room` runs are
        planned; return the counts and how many schedules were handled (the rest stay due)."""
        runs: list[SlotRun] = []
        advances: list[ScheduleAdvance] = []
        skipped = errors = taken = 0
        for item in due:
            if len(runs) >= room:
                break
            taken += 1
            try:
                plan = self._plan(item, until)
            except Exception as error:  # Promise 6: one bad row never stops the tick
                errors += 1
                reason = (
                    f"schedule {item.schedule_id} of deployment {item.deployment_name!r} "
                    f"cannot be evaluated ({error}); fix it with update_deployment."
                )
                _log.warning("%s", reason)
                schedules.set_aside(conn, item.schedule_id, reason, now)
                continue
            skipped += plan.skipped
            runs.extend(_slot_run(item, slot) for slot in plan.run)
            advances.append(ScheduleAdvance(item.schedule_id, plan.next_slot, plan.next_slot))
        created = insert_slot_runs(conn, runs, now)
        schedules.advance_schedules(conn, advances, now)
        return [created, len(runs) - created, skipped, errors], taken

    def _compile(self, spec: ScheduleSpec) -> SlotSource:
        # Compiling checks the expression and costs more than planning a due slot; many
        # schedules share an expression, and a spec is immutable.
        source = self._sources.get(spec)
        if source is None:
            if len(self._sources) >= _COMPILED_CACHE_SIZE:
                self._sources.clear()
            source = self._sources[spec] = compile_schedule(spec)
        return source

    def _plan(self, item: DueSchedule, until: datetime) -> SlotPlan:
        if item.spec is None:
            raise ValueError(item.spec_error)
        source = self._compile(item.spec)
        first = item.next_slot or next_slot(source, item.due_at)
        if first is None:
            return SlotPlan((), 0, None)
        return plan_slots(
            source,
            first,
            until,
            policy=CatchupPolicy(item.catchup),
            window_seconds=item.catchup_window_seconds,
            max_runs=item.catchup_max_runs,
        )

    def run(self, stop: threading.Event, *, interval_seconds: float = 5.0) -> None:
        """Tick every `interval_seconds` until `stop` is set; a failed tick is logged and
        retried on the next one."""
        while not stop.is_set():
            try:
                self.tick()
            except Exception:
                _log.exception("scheduler tick failed; retrying in %s s", interval_seconds)
            stop.wait(interval_seconds)


def _slot_run(item: DueSchedule, slot: datetime) -> SlotRun:
    return SlotRun(
        deployment_id=item.deployment_id,
        flow_id=item.flow_id,
        flow_version_id=item.flow_version_id,
        entrypoint=item.entrypoint,
        parameters=item.parameters,
        tags=item.tags,
        schedule_id=item.schedule_id,
        slot=slot,
        idempotency_key=schedule_key(item.schedule_id, slot),
        message=(
            f"scheduled by schedule {item.schedule_id} of deployment "
            f"{item.deployment_name!r} for slot {slot.isoformat()}"
        ),
        flow_name=item.flow_name,
        deployment_name=item.deployment_name,
    )
