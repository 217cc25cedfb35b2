"""In-memory stand-ins for the backend and the State a run returns, so CLI tests exercise
commands without a database or an engine."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from legato.core.records import FlowRunRecord, LogRecord, StateEventRecord, TaskRunRecord
from legato.core.states import StateType, check_transition
from legato.core.workers import WorkerRecord
from legato.errors import NotFound

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


@dataclass
class FakeState:
    type: StateType
    message: str | None = None
    flow_run_id: str | None = "run-1"
    data: Any = None

    def is_completed(self) -> bool:
        return self.type in (StateType.COMPLETED, StateType.CACHED)

    def is_failed(self) -> bool:
        return self.type is StateType.FAILED

    def result(self, raise_on_failure: bool = True) -> Any:
        return self.data


def flow_run(
    run_id: str = "run-1", flow_name: str = "hello", state: StateType = StateType.COMPLETED
) -> FlowRunRecord:
    return FlowRunRecord(
        id=run_id,
        flow_name=flow_name,
        name=f"{flow_name}-{run_id}",
        parameters={"name": "world"},
        state=state,
        state_message=None,
        created=T0,
        updated=T0 + timedelta(seconds=2),
        start_time=T0,
        end_time=T0 + timedelta(seconds=2),
        run_count=1,
    )


def task_run(
    task_key: str, state: StateType = StateType.COMPLETED, run_id: str = "run-1"
) -> TaskRunRecord:
    return TaskRunRecord(
        id=f"tr-{task_key}",
        flow_run_id=run_id,
        task_key=task_key,
        task_name=task_key.rpartition("-")[0],
        map_index=None,
        state=state,
        state_message=None,
        attempts=1,
        created=T0,
        updated=T0,
        start_time=T0,
        end_time=None if state is StateType.RUNNING else T0 + timedelta(milliseconds=5),
    )


@dataclass
class FakeBackend:
    runs: dict[str, FlowRunRecord] = field(default_factory=dict)
    task_runs: dict[str, list[TaskRunRecord]] = field(default_factory=dict)
    logs: dict[str, list[LogRecord]] = field(default_factory=dict)
    workers: list[WorkerRecord] = field(default_factory=list)
    fail_reads: bool = False
    calls: list[str] = field(default_factory=list)

    def add(self, run: FlowRunRecord, *task_runs: TaskRunRecord) -> None:
        self.runs[run.id] = run
        self.task_runs[run.id] = list(task_runs)

    def add_log(self, run_id: str, message: str, task_run_id: str | None = None) -> None:
        logs = self.logs.setdefault(run_id, [])
        logs.append(
            LogRecord(
                id=sum(len(page) for page in self.logs.values()) + 1,
                flow_run_id=run_id,
                task_run_id=task_run_id,
                level=20,
                logger="legato.flow_runs",
                message=message,
                timestamp=T0,
            )
        )

    def read_flow_run(self, flow_run_id: str) -> FlowRunRecord:
        self.calls.append("read_flow_run")
        try:
            return self.runs[flow_run_id]
        except KeyError:
            raise NotFound(
                f"flow run {flow_run_id!r} does not exist; list runs with `legato runs ls`."
            ) from None

    def list_flow_runs(
        self,
        *,
        flow_name: str | None = None,
        states: Sequence[StateType] | None = None,
        parent_flow_run_id: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[FlowRunRecord]:
        runs = [
            run
            for run in reversed(self.runs.values())
            if (flow_name is None or run.flow_name == flow_name)
            and (not states or run.state in states)
        ]
        return runs[offset : offset + limit]

    def read_task_runs(self, flow_run_id: str) -> list[TaskRunRecord]:
        self.calls.append("read_task_runs")
        if self.fail_reads:
            raise ConnectionError("database went away")
        return list(self.task_runs.get(flow_run_id, []))

    def count_task_runs(self, flow_run_id: str) -> dict[StateType, int]:
        self.calls.append("count_task_runs")
        if self.fail_reads:
            raise ConnectionError("database went away")
        counts: dict[StateType, int] = {}
        for record in self.task_runs.get(flow_run_id, []):
            counts[record.state] = counts.get(record.state, 0) + 1
        return counts

    def read_state_events(self, run_id: str) -> list[StateEventRecord]:
        return [
            StateEventRecord(1, run_id, "flow", None, StateType.PENDING, T0, None, False),
            StateEventRecord(
                2, run_id, "flow", StateType.PENDING, StateType.RUNNING, T0, None, False
            ),
            StateEventRecord(
                3, run_id, "flow", StateType.RUNNING, StateType.COMPLETED, T0, "all done", False
            ),
        ]

    def read_logs(
        self,
        flow_run_id: str,
        *,
        task_run_id: str | None = None,
        after_id: int = 0,
        limit: int = 1000,
    ) -> list[LogRecord]:
        logs = [
            log
            for log in self.logs.get(flow_run_id, [])
            if log.id > after_id and (task_run_id is None or log.task_run_id == task_run_id)
        ]
        return logs[:limit]

    def set_flow_run_state(
        self,
        flow_run_id: str,
        state: StateType,
        *,
        message: str | None = None,
        force: bool = False,
        epoch: int | None = None,
    ) -> FlowRunRecord:
        self.calls.append("set_flow_run_state")
        current = self.read_flow_run(flow_run_id)
        check_transition(current.state, state, force=force)
        self.runs[flow_run_id] = replace(current, state=state, state_message=message)
        return self.runs[flow_run_id]

    def list_workers(self) -> list[WorkerRecord]:
        return list(self.workers)
