"""InMemoryBackend: the Backend protocol over dicts, checked by the same state machine as
the real store. For fast unit tests of flows and of the engine; nothing is durable."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from legato._clock import SYSTEM_CLOCK, Clock, perf_seconds
from legato.core.deployments import DEFAULT_WORK_QUEUE
from legato.core.events import EventRecord
from legato.core.ids import new_id
from legato.core.pauses import RunInputRecord
from legato.core.records import (
    ArtifactRow,
    FlowRunRecord,
    FlowVersionRecord,
    LogRecord,
    NewFlowRun,
    ResultRef,
    StateEventRecord,
    TaskRunRecord,
    WriteBatch,
)
from legato.core.states import RETRYABLE_STATES, TERMINAL_STATES, StateType, check_transition
from legato.core.workers import Claim, WorkerRecord
from legato.errors import Conflict, NotFound, StaleEpoch, StateTransitionError
from legato.testing.memory_events import InMemoryEvents
from legato.testing.memory_pauses import InMemoryPauses
from legato.testing.memory_slots import InMemoryTaskSlots
from legato.testing.memory_vault import InMemoryVault


class InMemoryBackend(InMemoryPauses, InMemoryEvents, InMemoryVault, InMemoryTaskSlots):
    """A Backend kept in memory; thread-safe; `writes` counts committed batches."""

    def __init__(self, clock: Clock = SYSTEM_CLOCK) -> None:
        self.clock = clock
        self._lock = threading.RLock()
        self._claimable = threading.Condition(self._lock)
        self.versions: dict[str, FlowVersionRecord] = {}
        self.flow_runs: dict[str, FlowRunRecord] = {}
        self.task_runs: dict[str, TaskRunRecord] = {}
        self.events: list[StateEventRecord] = []
        self.logs: list[LogRecord] = []
        self.edges: set[tuple[str, str, str]] = set()
        self.cache: dict[str, tuple[ResultRef, datetime | None]] = {}
        self.writes = 0
        self.workers: dict[str, WorkerRecord] = {}
        self.epochs: dict[str, int] = {}
        # flow run id -> (worker id, epoch, expires at)
        self.leases: dict[str, tuple[str, int, datetime]] = {}
        self.run_inputs: dict[tuple[str, str], RunInputRecord] = {}
        self.emitted: list[EventRecord] = []
        self.artifacts: list[ArtifactRow] = []
        self._init_vault()
        self.task_limits: dict[str, int] = {}
        self.task_slots: dict[str, tuple[frozenset[str], datetime]] = {}

    def register_flow_version(self, flow_name: str, source: str, source_hash: str,
                              entrypoint: str | None) -> str:
        with self._lock:
            for v in self.versions.values():
                if v.flow_name == flow_name and v.source_hash == source_hash:
                    return v.id
            vid = new_id()
            self.versions[vid] = FlowVersionRecord(vid, flow_name, source_hash, source,
                                                   entrypoint, self.clock.now())
            return vid

    def read_flow_version(self, flow_version_id: str) -> FlowVersionRecord:
        with self._lock:
            if flow_version_id not in self.versions:
                raise NotFound(f"flow version {flow_version_id} does not exist.")
            return self.versions[flow_version_id]

    def _event(self, run_id: str, kind: str, frm: StateType | None, to: StateType,
               ts: datetime, message: str | None, forced: bool) -> None:
        self.events.append(StateEventRecord(len(self.events) + 1, run_id, kind, frm, to, ts,
                                            message, forced))
        if kind == "flow":
            self._flow_run_event(self.flow_runs[run_id], frm, to, ts, message)

    def create_flow_run(self, new: NewFlowRun) -> FlowRunRecord:
        with self._lock:
            if new.id in self.flow_runs:
                raise Conflict(f"flow run {new.id} already exists; use a new id.")
            record = FlowRunRecord(
                id=new.id, flow_name=new.flow_name, name=new.name, parameters=new.parameters,
                state=new.state, state_message=new.state_message, created=new.created,
                updated=new.created,
                start_time=new.created if new.state is StateType.RUNNING else None,
                end_time=new.created if new.state in TERMINAL_STATES else None,
                run_count=1 if new.state is StateType.RUNNING else 0,
                flow_version_id=new.flow_version_id, entrypoint=new.entrypoint, tags=new.tags,
                parent_flow_run_id=new.parent_flow_run_id,
                parent_task_run_id=new.parent_task_run_id)
            self.flow_runs[new.id] = record
            self._event(new.id, "flow", None, new.state, new.created, new.state_message, False)
            if new.state is StateType.SCHEDULED:
                self._claimable.notify_all()
            return record

    def read_flow_run(self, flow_run_id: str) -> FlowRunRecord:
        with self._lock:
            if flow_run_id not in self.flow_runs:
                raise NotFound(f"flow run {flow_run_id} does not exist; check the id.")
            return self.flow_runs[flow_run_id]

    def list_flow_runs(self, *, flow_name: str | None = None,
                       states: Sequence[StateType] | None = None,
                       parent_flow_run_id: str | None = None, limit: int = 50,
                       offset: int = 0) -> list[FlowRunRecord]:
        with self._lock:
            runs = [r for r in self.flow_runs.values()
                    if (flow_name is None or r.flow_name == flow_name)
                    and (not states or r.state in states)
                    and (parent_flow_run_id is None or r.parent_flow_run_id == parent_flow_run_id)]
        runs.sort(key=lambda r: (r.created, r.id), reverse=True)
        return runs[offset:offset + limit]

    def set_flow_run_state(self, flow_run_id: str, state: StateType, *,
                           message: str | None = None, result: ResultRef | None = None,
                           force: bool = False, epoch: int | None = None) -> FlowRunRecord:
        with self._lock:
            current = self.read_flow_run(flow_run_id)
            if epoch is not None:
                self._check_epoch(flow_run_id, epoch)
            check_transition(current.state, state, force=force, what=f"flow run {flow_run_id}")
            now = self.clock.now()
            changes: dict[str, Any] = dict(state=state, state_message=message, updated=now)
            if state is StateType.RUNNING:
                changes["run_count"] = current.run_count + 1
                if current.start_time is None:
                    changes["start_time"] = now
            if state in TERMINAL_STATES:
                changes["end_time"] = now
            if result is not None:
                changes["result"] = result
            if state in TERMINAL_STATES:
                self.leases.pop(flow_run_id, None)
            record = replace(current, **changes)
            self.flow_runs[flow_run_id] = record
            self._event(flow_run_id, "flow", current.state, state, now, message, force)
            if state is StateType.SCHEDULED:
                self._claimable.notify_all()
            return record

    def retry_flow_run(self, flow_run_id: str) -> FlowRunRecord:
        with self._lock:
            current = self.read_flow_run(flow_run_id)
            if current.state not in RETRYABLE_STATES:
                raise Conflict(f"flow run {flow_run_id} is {current.state.value}; only FAILED, "
                               "CRASHED or CANCELLED runs can be retried.")
            return self.set_flow_run_state(flow_run_id, StateType.SCHEDULED,
                                           message="retry requested", force=True)

    def write(self, batch: WriteBatch) -> None:
        refused: list[str] = []
        with self._lock:
            if batch.fence is not None:
                self._check_epoch(batch.fence.flow_run_id, batch.fence.epoch)
            chains: dict[str, list[Any]] = {}
            for event in batch.events:
                chains.setdefault(event.run_id, []).append(event)
            bad: set[str] = set()
            for row in batch.task_runs:
                stored = self.task_runs.get(row.id)
                current = None if row.is_new or stored is None else stored.state
                for event in chains.get(row.id, []):
                    try:
                        check_transition(current, event.to_state, force=event.forced,
                                         what=f"task run {row.task_key}")
                    except StateTransitionError as exc:
                        refused.append(str(exc))
                        bad.add(row.id)
                        break
                    current = event.to_state
            for row in batch.task_runs:
                if row.id in bad:
                    continue
                self.task_runs[row.id] = TaskRunRecord(
                    row.id, row.flow_run_id, row.task_key, row.task_name, row.map_index,
                    row.state, row.state_message, row.attempts, row.created, row.updated,
                    row.start_time, row.end_time, row.result, row.cache_key, row.child_flow_run_id)
            for event in batch.events:
                if event.run_id not in bad:
                    self._event(event.run_id, event.run_kind, event.from_state, event.to_state,
                                event.timestamp, event.message, event.forced)
            for log in batch.logs:
                self.logs.append(LogRecord(len(self.logs) + 1, log.flow_run_id, log.task_run_id,
                                           log.level, log.logger, log.message, log.timestamp))
            for edge in batch.edges:
                self.edges.add((edge.flow_run_id, edge.upstream_id, edge.downstream_id))
            known = {artifact.id for artifact in self.artifacts}
            self.artifacts += [a for a in batch.artifacts if a.id not in known]
            ending = batch.ending
            if ending is not None:
                try:
                    self.set_flow_run_state(ending.flow_run_id, ending.state,
                                            message=ending.message, result=ending.result)
                except StateTransitionError as exc:
                    refused.append(str(exc))
            self.writes += 1
        if refused:
            raise StateTransitionError("; ".join(refused))

    def read_task_runs(self, flow_run_id: str) -> list[TaskRunRecord]:
        with self._lock:
            runs = [r for r in self.task_runs.values() if r.flow_run_id == flow_run_id]
        return sorted(runs, key=lambda r: (r.created, r.id))

    def count_task_runs(self, flow_run_id: str) -> dict[StateType, int]:
        counts: dict[StateType, int] = {}
        for r in self.read_task_runs(flow_run_id):
            counts[r.state] = counts.get(r.state, 0) + 1
        return counts

    def read_state_events(self, run_id: str) -> list[StateEventRecord]:
        with self._lock:
            return [e for e in self.events if e.run_id == run_id]

    def read_logs(self, flow_run_id: str, *, task_run_id: str | None = None, after_id: int = 0,
                  limit: int = 1000) -> list[LogRecord]:
        with self._lock:
            rows = [log for log in self.logs if log.flow_run_id == flow_run_id and log.id > after_id
                    and (task_run_id is None or log.task_run_id == task_run_id)]
        return rows[:limit]

    def read_edges(self, flow_run_id: str) -> list[tuple[str, str]]:
        with self._lock:
            return sorted((u, d) for f, u, d in self.edges if f == flow_run_id)

    def read_cache(self, cache_key: str, now: datetime) -> ResultRef | None:
        with self._lock:
            entry = self.cache.get(cache_key)
        if entry is None or (entry[1] is not None and entry[1] <= now):
            return None
        return entry[0]

    def write_cache(self, cache_key: str, result: ResultRef, expires: datetime | None) -> None:
        with self._lock:
            self.cache[cache_key] = (result, expires)

    # -- workers and leases: every run is in the "default" queue (no deployments here) ---
    def _check_epoch(self, flow_run_id: str, epoch: int) -> None:
        current = self.epochs.get(flow_run_id, 0)
        if current != epoch:
            raise StaleEpoch(f"flow run {flow_run_id} is leased at epoch {current}, not {epoch}; "
                             "this worker lost the run and must stop executing it.")

    def register_worker(self, name: str, queues: Sequence[str], *, pid: int | None = None,
                        host: str | None = None) -> WorkerRecord:
        with self._lock:
            known = next((w.id for w in self.workers.values() if w.name == name), None)
            record = WorkerRecord(known or new_id(), name, tuple(queues), self.clock.now(),
                                  "online", pid, host)
            self.workers[record.id] = record
            return record

    def worker_heartbeat(self, worker_id: str, *, status: str = "online") -> None:
        with self._lock:
            if worker_id not in self.workers:
                raise NotFound(f"worker {worker_id!r} is not registered; register it first.")
            self.workers[worker_id] = replace(self.workers[worker_id],
                                              heartbeat_at=self.clock.now(), status=status)

    def list_workers(self) -> list[WorkerRecord]:
        with self._lock:
            return sorted(self.workers.values(), key=lambda w: w.name)

    def claim_flow_runs(self, worker_id: str, queues: Sequence[str], limit: int, *,
                        lease_seconds: float, wait_seconds: float = 0.0,
                        start: bool = False) -> list[Claim]:
        deadline = perf_seconds() + wait_seconds
        with self._lock:
            while True:
                claims = self._claim(worker_id, queues, limit, lease_seconds, start)
                remaining = deadline - perf_seconds()
                if claims or remaining <= 0:
                    return claims
                self._claimable.wait(remaining)

    def _claim(self, worker_id: str, queues: Sequence[str], limit: int,
               lease_seconds: float, start: bool) -> list[Claim]:
        with self._lock:
            worker = self.workers.get(worker_id)
            if worker is None:
                raise NotFound(f"worker {worker_id!r} is not registered; register it first.")
            if DEFAULT_WORK_QUEUE not in queues or limit <= 0:
                return []
            due = sorted((r for r in self.flow_runs.values() if r.state is StateType.SCHEDULED),
                         key=lambda r: (r.created, r.id))[:limit]
            expires = self.clock.now() + timedelta(seconds=lease_seconds)
            claims = []
            for run in due:
                record = self.set_flow_run_state(run.id, StateType.PENDING,
                                                 message=f"claimed by worker {worker.name}")
                if start:
                    record = self.set_flow_run_state(run.id, StateType.RUNNING,
                                                     message="started by its worker's claim")
                epoch = self.epochs[run.id] = self.epochs.get(run.id, 0) + 1
                self.leases[run.id] = (worker_id, epoch, expires)
                claims.append(Claim(record, epoch, expires))
            return claims

    def heartbeat_leases(self, worker_id: str, held: Sequence[tuple[str, int]], *,
                         lease_seconds: float) -> list[str]:
        lost = []
        for flow_run_id, epoch in held:
            try:
                self.heartbeat_lease(flow_run_id, worker_id, epoch, lease_seconds=lease_seconds)
            except StaleEpoch:
                lost.append(flow_run_id)
        return lost

    def heartbeat_lease(self, flow_run_id: str, worker_id: str, epoch: int, *,
                        lease_seconds: float) -> datetime:
        with self._lock:
            if self.leases.get(flow_run_id, ("", -1))[:2] != (worker_id, epoch):
                raise StaleEpoch(f"worker {worker_id} no longer holds flow run {flow_run_id} at "
                                 f"epoch {epoch}; stop executing it.")
            expires = self.clock.now() + timedelta(seconds=lease_seconds)
            self.leases[flow_run_id] = (worker_id, epoch, expires)
            return expires

    def close(self) -> None:
        pass
