"""The Backend protocol: the only way the engine, the SDK and workers reach durable state.

`LocalBackend` (orchestration) implements it in-process over the store; `HttpBackend`
(client) implements it over the REST API. One contract suite tests both."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from legato.core.events import EventRecord, NewEvent
from legato.core.limits import TaskSlotGrant
from legato.core.pauses import PauseRequest, RunInputRecord
from legato.core.records import (
    FlowRunRecord,
    FlowVersionRecord,
    LogRecord,
    NewFlowRun,
    ResultRef,
    StateEventRecord,
    TaskRunRecord,
    WriteBatch,
)
from legato.core.secrets import SecretInfo, VariableRecord
from legato.core.states import StateType
from legato.core.workers import Claim, WorkerRecord


@runtime_checkable
class Backend(Protocol):
    """Durable run state. Every method is safe to call from several threads."""

    def register_flow_version(
        self, flow_name: str, source: str, source_hash: str, entrypoint: str | None
    ) -> str:
        """Store a flow definition (idempotent on flow_name + source_hash); return its id."""
        ...

    def read_flow_version(self, flow_version_id: str) -> FlowVersionRecord:
        """Return a stored definition or raise NotFound."""
        ...

    def create_flow_run(self, new: NewFlowRun) -> FlowRunRecord:
        """Insert a flow run (committed before returning) and its first state event."""
        ...

    def read_flow_run(self, flow_run_id: str) -> FlowRunRecord:
        """Return a flow run or raise NotFound."""
        ...

    def list_flow_runs(
        self,
        *,
        flow_name: str | None = None,
        states: Sequence[StateType] | None = None,
        parent_flow_run_id: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[FlowRunRecord]:
        """Flow runs, newest first, one page at a time."""
        ...

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
        """Validate and commit a flow-run transition; raise StateTransitionError if refused.

        Entering RUNNING sets start_time (first time) and increments run_count; a terminal
        state sets end_time and releases the run's lease. With `epoch` (a worker's claim),
        raise StaleEpoch and change nothing unless it is the run's current lease epoch."""
        ...

    def retry_flow_run(self, flow_run_id: str) -> FlowRunRecord:
        """Force a FAILED, CRASHED or CANCELLED flow run back to SCHEDULED so it can be
        resumed; raise Conflict for a run in any other state."""
        ...

    def write(self, batch: WriteBatch) -> None:
        """Commit a batch of task-run snapshots, state events, logs and edges atomically.

        Transitions are checked against the state machine; a task run whose transition is
        refused is left as stored and the refusal raises StateTransitionError after the rest
        of the batch is committed."""
        ...

    def read_task_runs(self, flow_run_id: str) -> list[TaskRunRecord]:
        """All task runs of a flow run, in creation order."""
        ...

    def count_task_runs(self, flow_run_id: str) -> dict[StateType, int]:
        """How many task runs of the flow run are in each state."""
        ...

    def read_state_events(self, run_id: str) -> list[StateEventRecord]:
        """The state history of a flow run or task run, oldest first."""
        ...

    def read_logs(
        self,
        flow_run_id: str,
        *,
        task_run_id: str | None = None,
        after_id: int = 0,
        limit: int = 1000,
    ) -> list[LogRecord]:
        """Log lines of a flow run (optionally one task run) with id > after_id."""
        ...

    def read_edges(self, flow_run_id: str) -> list[tuple[str, str]]:
        """(upstream task run id, downstream task run id) pairs of a flow run."""
        ...

    def read_cache(self, cache_key: str, now: datetime) -> ResultRef | None:
        """The cached result for a key, unless missing or expired at `now`."""
        ...

    def write_cache(self, cache_key: str, result: ResultRef, expires: datetime | None) -> None:
        """Store (or replace) a cached result."""
        ...

    # -- workers and leases (timestamps come from the backend's own clock) ---------------
    def register_worker(
        self,
        name: str,
        queues: Sequence[str],
        *,
        pid: int | None = None,
        host: str | None = None,
    ) -> WorkerRecord:
        """Register a worker by name (registering again keeps its id) as online."""
        ...

    def worker_heartbeat(self, worker_id: str, *, status: str = "online") -> None:
        """Record that a worker is alive, or with status "stopped" that it left; NotFound
        for an unknown worker."""
        ...

    def list_workers(self) -> list[WorkerRecord]:
        """Every registered worker, by name."""
        ...

    def claim_flow_runs(
        self,
        worker_id: str,
        queues: Sequence[str],
        limit: int,
        *,
        lease_seconds: float,
        wait_seconds: float = 0.0,
        start: bool = False,
    ) -> list[Claim]:
        """Claim up to `limit` due SCHEDULED runs of `queues` (runs without a deployment are
        in "default"), oldest first: each becomes PENDING, leased to the worker at a new
        epoch. Two claimers never get the same run. With `wait_seconds`, a claim that finds
        nothing waits up to that long and returns as soon as a run becomes claimable. With
        `start`, each claimed run goes on to RUNNING in the same commit (its process then
        begins without reporting RUNNING)."""
        ...

    def heartbeat_lease(
        self, flow_run_id: str, worker_id: str, epoch: int, *, lease_seconds: float
    ) -> datetime:
        """Extend the worker's lease on a run; return the new expiry. Raise StaleEpoch
        when the lease is gone (expired, run ended) or held at another epoch."""
        ...

    def heartbeat_leases(
        self, worker_id: str, held: Sequence[tuple[str, int]], *, lease_seconds: float
    ) -> list[str]:
        """Extend the worker's lease on every (flow run id, epoch) it holds, in one call;
        return the ids of the runs whose lease is gone (as `heartbeat_lease` would raise
        StaleEpoch for them)."""
        ...

    def pause_flow_run(
        self, flow_run_id: str, request: PauseRequest, *, epoch: int | None = None
    ) -> FlowRunRecord:
        """Store a pause point and move the RUNNING run to PAUSED; a suspend also releases
        the run's lease."""
        ...

    def resume_flow_run(
        self, flow_run_id: str, run_input: Any = None, *, key: str | None = None
    ) -> FlowRunRecord:
        """Answer the run's pending pause point with `run_input` (checked against its
        schema: ParameterError) and move the run on; PauseNotPending (a Conflict) when the
        run waits at no pause point (or at another key)."""
        ...

    def expire_pause(
        self, flow_run_id: str, key: str, *, epoch: int | None = None
    ) -> RunInputRecord:
        """Give up on an unanswered pause point (its deadline passed) and return the run to
        RUNNING; returns the pause point, answered if a resume came first."""
        ...

    def read_run_input(self, flow_run_id: str, key: str | None = None) -> RunInputRecord | None:
        """A run's pause point by key, or (no key) the one it waits at now; None if absent."""
        ...

    # -- task-run concurrency slots (leases timed by the backend's own clock) -------------
    def limited_tags(self) -> frozenset[str]:
        """Every tag that has a concurrency limit; task runs carrying none of them need no
        slot."""
        ...

    def acquire_task_slots(
        self,
        task_run_id: str,
        flow_run_id: str,
        tags: Sequence[str],
        *,
        lease_seconds: float,
        wait_seconds: float = 0.0,
    ) -> TaskSlotGrant:
        """Take one slot of every limited tag in `tags` for a task run about to be RUNNING,
        all or none, leased for `lease_seconds`. When a limit is full, wait up to
        `wait_seconds` for a slot to be freed; not acquired then names the full tags.
        Asking again for slots already held is granted and extends them."""
        ...

    def renew_task_slots(self, task_run_ids: Sequence[str], *, lease_seconds: float) -> int:
        """Extend the unexpired slots of these task runs to now + lease_seconds; how many
        slots were extended (an expired slot stays expired: another task run may hold its
        place)."""
        ...

    def release_task_slots(self, task_run_id: str) -> None:
        """Free a task run's slots and wake task runs waiting for them."""
        ...

    # -- events ----------------------------------------------------------------------------
    def emit_event(self, event: NewEvent) -> EventRecord:
        """Check and store an event (ParameterError for a bad or reserved name, a payload that
        is not a JSON object or is too large); an `id` already stored returns that event."""
        ...

    def list_events(
        self,
        *,
        name: str | None = None,
        prefix: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[EventRecord]:
        """Events newest first, by exact name or name prefix, occurred in [since, until)."""
        ...

    # -- secrets and variables ---------------------------------------------------------------
    def read_secret(self, name: str) -> str:
        """The decrypted value of a secret; NotFound when absent, ConfigError when the
        configured keys cannot decrypt it."""
        ...

    def write_secret(self, name: str, value: str, *, overwrite: bool = True) -> SecretInfo:
        """Store a secret's value encrypted (Conflict when it exists and not `overwrite`)."""
        ...

    def read_secret_info(self, name: str) -> SecretInfo:
        """A secret's name and dates (never its value); NotFound when absent."""
        ...

    def list_secrets(self, *, limit: int = 500, offset: int = 0) -> list[SecretInfo]:
        """Secrets by name, without values, one page at a time."""
        ...

    def delete_secret(self, name: str) -> None:
        """Drop a secret; NotFound when absent."""
        ...

    def read_variable(self, name: str) -> VariableRecord:
        """A variable with its JSON value; NotFound when absent."""
        ...

    def write_variable(self, name: str, value: Any, *, overwrite: bool = True) -> VariableRecord:
        """Store a variable's JSON value (Conflict when it exists and not `overwrite`)."""
        ...

    def list_variables(self, *, limit: int = 500, offset: int = 0) -> list[VariableRecord]:
        """Variables by name, one page at a time."""
        ...

    def delete_variable(self, name: str) -> None:
        """Drop a variable; NotFound when absent."""
        ...

    def close(self) -> None:
        """Release connections; the backend is unusable afterwards."""
        ...
