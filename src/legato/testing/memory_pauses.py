"""Pause points for InMemoryBackend, with the rules of orchestration.pauses: kept apart so
the in-memory backend stays one concept per module."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from legato._clock import Clock
from legato.core.pauses import (
    PAUSE_TIMEOUT_MESSAGE,
    RESUME_MESSAGE,
    InputStatus,
    PauseKind,
    PauseNotPending,
    PauseRequest,
    RunInputRecord,
    pause_message,
)
from legato.core.records import FlowRunRecord
from legato.core.states import StateType
from legato.orchestration.pauses import check_request, validate_input


class InMemoryPauses:
    """Mixed into InMemoryBackend, which provides the attributes declared here."""

    clock: Clock
    _lock: threading.RLock
    leases: dict[str, tuple[str, int, datetime]]
    run_inputs: dict[tuple[str, str], RunInputRecord]
    flow_runs: dict[str, FlowRunRecord]

    # InMemoryBackend's own methods, with the state machine's checks.
    read_flow_run: Callable[[str], FlowRunRecord]
    set_flow_run_state: Callable[..., FlowRunRecord]

    def pause_flow_run(
        self, flow_run_id: str, request: PauseRequest, *, epoch: int | None = None
    ) -> FlowRunRecord:
        check_request(flow_run_id, request)
        with self._lock:
            record = self.set_flow_run_state(flow_run_id, StateType.PAUSED,
                                             message=pause_message(request), epoch=epoch)
            self.run_inputs[(flow_run_id, request.key)] = RunInputRecord(
                flow_run_id, request.key, request.kind, InputStatus.PENDING, request.deadline,
                self.clock.now(), request.schema, request.description)
            if request.kind is PauseKind.SUSPEND:
                self.leases.pop(flow_run_id, None)
            return record

    def _pending(self, flow_run_id: str) -> RunInputRecord | None:
        found = [r for (run, _), r in self.run_inputs.items()
                 if run == flow_run_id and r.status is InputStatus.PENDING]
        return max(found, key=lambda r: r.created) if found else None

    def resume_flow_run(
        self, flow_run_id: str, run_input: Any = None, *, key: str | None = None
    ) -> FlowRunRecord:
        with self._lock:
            current = self.read_flow_run(flow_run_id)
            pending = self._pending(flow_run_id)
            if current.state is not StateType.PAUSED or pending is None:
                raise PauseNotPending(
                    f"flow run {flow_run_id} is {current.state.value}, not waiting at a pause "
                    "point; only paused runs can be resumed.")
            if key is not None and key != pending.key:
                raise PauseNotPending(
                    f"flow run {flow_run_id} waits at pause {pending.key!r}, not {key!r}.")
            validate_input(run_input, pending.schema,
                           f"pause {pending.key!r} of flow run {flow_run_id}")
            self.run_inputs[(flow_run_id, pending.key)] = replace(
                pending, status=InputStatus.RESPONDED, value=run_input,
                responded=self.clock.now())
            target = (StateType.RUNNING if pending.kind is PauseKind.PAUSE
                      else StateType.SCHEDULED)
            return self.set_flow_run_state(flow_run_id, target, message=RESUME_MESSAGE)

    def expire_pause(
        self, flow_run_id: str, key: str, *, epoch: int | None = None
    ) -> RunInputRecord:
        with self._lock:
            found = self.run_inputs.get((flow_run_id, key))
            if found is None:
                raise PauseNotPending(f"flow run {flow_run_id} has no pause point {key!r}.")
            if found.status is not InputStatus.PENDING:
                return found
            expired = replace(found, status=InputStatus.EXPIRED, responded=self.clock.now())
            self.run_inputs[(flow_run_id, key)] = expired
            if self.read_flow_run(flow_run_id).state is StateType.PAUSED:
                self.set_flow_run_state(flow_run_id, StateType.RUNNING,
                                        message=PAUSE_TIMEOUT_MESSAGE, epoch=epoch)
            return expired

    def read_run_input(self, flow_run_id: str, key: str | None = None) -> RunInputRecord | None:
        with self._lock:
            if key is not None:
                return self.run_inputs.get((flow_run_id, key))
            run = self.flow_runs.get(flow_run_id)
            if run is None or run.state is not StateType.PAUSED:
                return None
            return self._pending(flow_run_id)
