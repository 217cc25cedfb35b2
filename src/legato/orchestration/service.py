"""The one door for state changes: creating runs, flow-run transitions, retries and the
engine's task-run write batches are validated against the state machine here and committed
through the store. Nothing else writes run state."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime

from legato._clock import SYSTEM_CLOCK, Clock
from legato.core.events import EventRecord, NewEvent, check_new_event
from legato.core.records import (
    FlowRunRecord,
    NewFlowRun,
    ResultRef,
    StateEvent,
    TaskRunRow,
    WriteBatch,
)
from legato.core.states import RETRYABLE_STATES, StateType, check_transition, is_terminal
from legato.errors import Conflict, NotFound, ParameterError, StaleEpoch, StateTransitionError
from legato.orchestration.batch import BatchPlan, BatchRefused, plan_batch
from legato.orchestration.run_events import Origin, RunChange, record_run_changes, store_event
from legato.store import artifacts, cache, events, flows, leases, logs, runs, slots, taskruns
from legato.store.bulk import TimestampMemo
from legato.store.database import Connection, Database

RETRY_MESSAGE = "retry requested"


@dataclasses.dataclass(frozen=True, slots=True)
class Timing:
    """The bookkeeping fields a state change updates on a run."""

    start_time: datetime | None
    end_time: datetime | None
    run_count: int


def timing_after(state: StateType, before: Timing, now: datetime) -> Timing:
    """Timing fields once a run enters `state`.

    RUNNING sets start_time the first time and counts the attempt; a terminal state sets
    end_time; leaving a terminal state (a forced retry) clears it again.

    >>> timing_after(StateType.RUNNING, Timing(None, None, 0), now).run_count
    1
    """
    start_time, run_count = before.start_time, before.run_count
    if state is StateType.RUNNING:
        run_count += 1
        if start_time is None:
            start_time = now
    return Timing(start_time, now if is_terminal(state) else None, run_count)


def flow_run_not_found(flow_run_id: str) -> NotFound:
    """The error for an unknown flow run id."""
    return NotFound(f"flow run {flow_run_id!r} does not exist; check the id (legato runs ls).")


def next_record(
    current: FlowRunRecord,
    state: StateType,
    message: str | None,
    result: ResultRef | None,
    force: bool,
    now: datetime,
) -> FlowRunRecord:
    """The run after a transition the state machine allows (StateTransitionError if not);
    nothing is written. Callers that change many runs at once write the results together."""
    check_transition(current.state, state, force=force, what=f"flow run {current.id}")
    timing = timing_after(state, Timing(current.start_time, current.end_time, current.run_count),
                          now)
    return dataclasses.replace(
        current,
        state=state,
        state_message=message,
        updated=now,
        start_time=timing.start_time,
        end_time=timing.end_time,
        run_count=timing.run_count,
        result=result if result is not None else current.result,
    )


PROCESS_CRASH_RETRY_MESSAGE = "rescheduled after its run process died (crash retry {n} of {of})"


def check_epoch(conn: Connection, flow_run_id: str, epoch: int) -> None:
    """Raise StaleEpoch unless `epoch` is the run's current lease epoch (fencing)."""
    current = leases.read_epoch(conn, flow_run_id, for_update=True)
    if current is None:
        raise flow_run_not_found(flow_run_id)
    if current != epoch:
        raise stale_epoch(flow_run_id, current, epoch)


def stale_epoch(flow_run_id: str, current: int, epoch: int) -> StaleEpoch:
    """The error for a write fenced with `epoch` while the run is leased at `current`."""
    return StaleEpoch(
        f"flow run {flow_run_id} is leased at epoch {current}, not {epoch}; this worker "
        "lost the run and must stop executing it."
    )


class OrchestrationService:
    """Validates and commits run state changes against one store database."""

    def __init__(self, db: Database, clock: Clock = SYSTEM_CLOCK) -> None:
        self.db = db
        self.clock = clock

    def register_flow_version(
        self, flow_name: str, source: str, source_hash: str, entrypoint: str | None
    ) -> str:
        """Store a flow definition once per (flow_name, source_hash); return its id."""
        with self.db.writing() as conn:
            return flows.register_flow_version(
                conn, flow_name, source, source_hash, entrypoint, self.clock.now()
            )

    def create_flow_run(self, new: NewFlowRun) -> FlowRunRecord:
        """Insert a flow run and its first state event in one committed transaction."""
        check_transition(None, new.state, what=f"new flow run {new.id}")
        timing = timing_after(new.state, Timing(None, None, 0), new.created)
        try:
            with self.db.writing() as conn:
                exists = runs.flow_run_exists(conn, new.id)
                if not exists:
                    self._insert_flow_run(conn, new, timing)
        except Conflict as error:
            # A concurrent creator won the primary key between our check and insert.
            raise self._duplicate(new.id) from error
        if exists:
            raise self._duplicate(new.id)
        return FlowRunRecord(
            id=new.id,
            flow_name=new.flow_name,
            name=new.name,
            parameters=new.parameters,
            state=new.state,
            state_message=new.state_message,
            created=new.created,
            updated=new.created,
            start_time=timing.start_time,
            end_time=timing.end_time,
            run_count=timing.run_count,
            flow_version_id=new.flow_version_id,
            entrypoint=new.entrypoint,
            tags=tuple(new.tags),
            parent_flow_run_id=new.parent_flow_run_id,
            parent_task_run_id=new.parent_task_run_id,
        )

    @staticmethod
    def _insert_flow_run(conn: Connection, new: NewFlowRun, timing: Timing) -> None:
        if new.flow_version_id is not None and not flows.flow_version_exists(
            conn, new.flow_version_id
        ):
            raise NotFound(
                f"flow run {new.id} names flow version {new.flow_version_id!r}, which does "
                "not exist; register the flow version first."
            )
        flow_id = flows.ensure_flow(conn, new.flow_name, new.created)
        runs.insert_flow_run(
            conn,
            new,
            flow_id=flow_id,
            start_time=timing.start_time,
            end_time=timing.end_time,
            run_count=timing.run_count,
        )
        first = StateEvent(new.id, "flow", None, new.state, new.created, new.state_message)
        events.insert_events(conn, [first])
        change = RunChange(new.id, new.name, tuple(new.tags), None, new.state, new.state_message)
        # A run made here has no deployment, so its origin needs no lookup.
        record_run_changes(conn, [change], new.created,
                           origins={new.id: (new.flow_name, None, None)})

    @staticmethod
    def _duplicate(flow_run_id: str) -> Conflict:
        return Conflict(
            f"flow run {flow_run_id!r} already exists; make a new id for every flow run."
        )

    def set_flow_run_state(
        self,
        flow_run_id: str,
        state: StateType,
        *,
        message: str | None = None,
        result: ResultRef | None = None,
        force: bool = False,
        epoch: int | None = None,
    ) -> FlowRunRecord:
        """Validate and commit a flow-run transition; raise StateTransitionError if refused,
        or StaleEpoch when `epoch` is given and no longer the run's lease epoch."""
        with self.db.writing() as conn:
            current = runs.read_flow_run(conn, flow_run_id, for_update=True)
            if current is None:
                raise flow_run_not_found(flow_run_id)
            if epoch is not None:
                check_epoch(conn, flow_run_id, epoch)
            changed = self.transition(conn, current, state, message, result, force)
            if epoch is not None and state is StateType.CRASHED:
                return self._retry_crash(conn, changed)
            return changed

    def _retry_crash(self, conn: Connection, crashed: FlowRunRecord) -> FlowRunRecord:
        """A holder reported its run CRASHED (its process died): fence off whatever is left
        of that process and reschedule the run when its deployment's crash retries allow,
        as the monitor does for a run whose lease expired."""
        leases.bump_epoch(conn, crashed.id)
        crashes, allowed = leases.crash_policy(conn, crashed.id)
        leases.count_crash(conn, crashed.id)
        if crashes + 1 > allowed:
            return crashed
        message = PROCESS_CRASH_RETRY_MESSAGE.format(n=crashes + 1, of=allowed)
        return self.transition(conn, crashed, StateType.SCHEDULED, message, None, True)

    def retry_flow_run(self, flow_run_id: str) -> FlowRunRecord:
        """Force a FAILED, CRASHED or CANCELLED flow run back to SCHEDULED."""
        with self.db.writing() as conn:
            current = runs.read_flow_run(conn, flow_run_id, for_update=True)
            if current is None:
                raise flow_run_not_found(flow_run_id)
            if current.state not in RETRYABLE_STATES:
                raise Conflict(
                    f"flow run {flow_run_id} is {current.state.value} and cannot be retried; "
                    "only FAILED, CRASHED or CANCELLED runs can be retried (cancel it first "
                    "if it is still going)."
                )
            return self.transition(
                conn, current, StateType.SCHEDULED, RETRY_MESSAGE, None, force=True
            )

    def transition(
        self,
        conn: Connection,
        current: FlowRunRecord,
        state: StateType,
        message: str | None,
        result: ResultRef | None,
        force: bool,
        origin: Origin | None = None,
    ) -> FlowRunRecord:
        """Validate a transition of a run read (locked) in `conn` and apply it there; a
        terminal state releases the run's lease and concurrency slots. `origin` is the
        run's flow and deployment when the caller read them already."""
        now = self.clock.now()
        changed = next_record(current, state, message, result, force, now)
        runs.update_flow_run_state(
            conn,
            current.id,
            state=state,
            message=message,
            updated=now,
            start_time=changed.start_time,
            end_time=changed.end_time,
            run_count=changed.run_count,
            result=result,
        )
        event = StateEvent(current.id, "flow", current.state, state, now, message, force)
        events.insert_events(conn, [event])
        # The caller may have read the origin with the run; without a deployment the record
        # already holds all of it.
        if origin is None and current.deployment_id is None:
            origin = (current.flow_name, None, None)
        record_run_changes(conn, [RunChange.of(current, state, message)], now,
                           origins=None if origin is None else {current.id: origin})
        if is_terminal(state):
            leases.release(conn, current.id)
            slots.release_run(conn, current.id)
        return changed

    def write(self, batch: WriteBatch) -> None:
        """Commit a write batch; refused task runs (and a refused ending) are left out and
        reported afterwards by raising BatchRefused (a StateTransitionError)."""
        if not batch:
            return
        try:
            plan = self._write(batch, careful=False)
        except StaleEpoch:
            raise
        except Conflict:
            # The optimistic path trusts `is_new` and foreign keys; when the database
            # disagrees, redo the batch checking every row first, so one bad row does not
            # sink the others.
            plan = self._write(batch, careful=True)
        if plan.refused:
            raise BatchRefused(plan.refused)

    def _write(self, batch: WriteBatch, *, careful: bool) -> BatchPlan:
        with self.db.writing() as conn:
            ending = self._lock_ending(conn, batch) if batch.ending is not None else None
            if ending is not None and batch.fence is not None:
                # The run is read (and locked) once for its ending, its epoch and its origin.
                if ending.epoch != batch.fence.epoch:
                    raise stale_epoch(ending.record.id, ending.epoch, batch.fence.epoch)
            elif batch.fence is not None:
                check_epoch(conn, batch.fence.flow_run_id, batch.fence.epoch)
            rows: Sequence[TaskRunRow] = batch.task_runs
            if careful:
                rows = list({row.id: row for row in rows}.values())
                stored = taskruns.read_task_states(conn, [r.id for r in rows], for_update=True)
                refused = self._precheck(conn, rows, stored)
            else:
                old_ids = [row.id for row in rows if not row.is_new]
                stored = taskruns.read_task_states(conn, old_ids, for_update=True)
                refused = {}
            plan = plan_batch(rows, batch.events, stored, refused=refused)
            memo = TimestampMemo()
            taskruns.insert_task_runs(conn, plan.inserts, memo)
            taskruns.update_task_runs(conn, plan.updates, memo)
            events.insert_events(conn, plan.events, memo)
            logs.insert_logs(conn, batch.logs)
            taskruns.insert_edges(conn, batch.edges)
            artifacts.insert_artifacts(conn, batch.artifacts)
            if ending is not None:
                refusal = self._end(conn, ending, batch)
                if refusal is not None:
                    plan.refused[ending.record.id] = refusal
        return plan

    @staticmethod
    def _lock_ending(conn: Connection, batch: WriteBatch) -> runs.LockedRun:
        """The run a batch ends with its lease epoch and origin, locked before its lease row
        as every state change does."""
        assert batch.ending is not None
        run_id = batch.ending.flow_run_id
        if batch.fence is not None and batch.fence.flow_run_id != run_id:
            raise ParameterError(
                f"a write batch fenced for flow run {batch.fence.flow_run_id} ends flow run "
                f"{run_id}; send the ending of another run in its own batch."
            )
        found = runs.read_runs_to_claim(conn, [run_id]).get(run_id)
        if found is None:
            raise flow_run_not_found(run_id)
        return found

    def _end(self, conn: Connection, locked: runs.LockedRun, batch: WriteBatch) -> str | None:
        """Apply a batch's ending after the rest of it; the reason when refused."""
        ending = batch.ending
        assert ending is not None
        try:
            changed = self.transition(conn, locked.record, ending.state, ending.message,
                                      ending.result, False, locked.origin)
        except StateTransitionError as error:
            return str(error)
        if batch.fence is not None and ending.state is StateType.CRASHED:
            self._retry_crash(conn, changed)
        return None

    @staticmethod
    def _precheck(
        conn: Connection, rows: Sequence[TaskRunRow], stored: dict[str, StateType]
    ) -> dict[str, str]:
        """Reasons to refuse rows that would break a constraint if inserted."""
        refused: dict[str, str] = {}
        fresh = []
        for row in rows:
            if row.id not in stored:
                fresh.append(row)
            elif row.is_new:
                refused[row.id] = (
                    f"task run {row.id} is marked new but is already stored; "
                    "send later snapshots with is_new=False."
                )
        known_flow_runs = taskruns.existing_flow_runs(conn, {r.flow_run_id for r in fresh})
        owners = taskruns.task_key_owners(
            conn, sorted({(r.flow_run_id, r.task_key) for r in fresh})
        )
        for row in fresh:
            key = (row.flow_run_id, row.task_key)
            owner = owners.setdefault(key, row.id)
            if row.flow_run_id not in known_flow_runs:
                refused[row.id] = (
                    f"task run {row.id} belongs to flow run {row.flow_run_id}, which does not "
                    "exist; create the flow run before its task runs."
                )
            elif owner != row.id:
                refused[row.id] = (
                    f"task run {row.id} reuses task key {row.task_key!r} of flow run "
                    f"{row.flow_run_id}, which task run {owner} already has; "
                    "give each call its own task key."
                )
        return refused

    def emit_event(self, event: NewEvent) -> EventRecord:
        """Check and store an event; a known id returns the stored one."""
        check_new_event(event, f"event {event.name!r}")
        with self.db.writing() as conn:
            return store_event(conn, event, self.clock.now())

    def write_cache(self, cache_key: str, result: ResultRef, expires: datetime | None) -> None:
        """Store (or replace) a cached result."""
        with self.db.writing() as conn:
            cache.write_cache(conn, cache_key, result, expires, self.clock.now())
