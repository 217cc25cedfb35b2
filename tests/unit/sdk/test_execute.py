"""execute_flow_run: a worker's child executes a claimed run with its stored parameters,
reuses task runs with committed results, and stops once its epoch is stale (fencing)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest

from legato.core.backend import Backend
from legato.core.ids import new_id
from legato.core.records import FlowRunRecord, FlowVersionRecord, NewFlowRun, TaskRunRecord
from legato.core.states import StateType as S
from legato.core.workers import Claim
from legato.errors import Conflict, StaleEpoch
from legato.sdk import runtime
from legato.testing import InMemoryBackend
from tests.unit.sdk.test_runtime import CHAIN, PREAMBLE, executions

STEAL = """
from legato.engine.context import current_flow_run


@task
def steal(log: str) -> int:
    # Another holder claims the run meanwhile; flushing makes the engine notice now.
    ctx = current_flow_run()
    ctx.backend.epochs[ctx.flow_run.id] += 1
    try:
        ctx.recorder.flush()
    except Exception:
        pass
    record(log, "steal")
    return 1


@task
def after(log: str, x: int) -> int:
    record(log, "after")
    return x


@flow
def stolen(log: str) -> int:
    return after(log, steal(log))
"""


class Reads:
    """A backend that notes which runs and versions the engine reads itself."""

    def __init__(self, backend: InMemoryBackend) -> None:
        self.backend = backend
        self.asked: list[str] = []

    def read_flow_run(self, flow_run_id: str) -> FlowRunRecord:
        self.asked.append(f"run {flow_run_id}")
        return self.backend.read_flow_run(flow_run_id)

    def read_flow_version(self, flow_version_id: str) -> FlowVersionRecord:
        self.asked.append(f"version {flow_version_id}")
        return self.backend.read_flow_version(flow_version_id)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.backend, name)


def scheduled(backend: InMemoryBackend, tmp_path: Path, name: str, body: str, log: Path) -> str:
    path = tmp_path / f"{name}.py"
    path.write_text(PREAMBLE + body)
    run_id = new_id()
    backend.create_flow_run(NewFlowRun(run_id, name, "bold-wren", {"log": str(log)},
                                       S.SCHEDULED, backend.clock.now(),
                                       entrypoint=f"{path}:{name}"))
    return run_id


def claim(backend: InMemoryBackend) -> int:
    worker = backend.register_worker("w1", ["default"])
    (got,) = backend.claim_flow_runs(worker.id, ["default"], 1, lease_seconds=30)
    return got.epoch


def claim_started(backend: InMemoryBackend) -> Claim:
    worker = backend.register_worker("w1", ["default"])
    (got,) = backend.claim_flow_runs(worker.id, ["default"], 1, lease_seconds=30, start=True)
    return got


class StateChanges:
    """A backend that notes the flow-run state changes the engine asks for."""

    def __init__(self, backend: InMemoryBackend) -> None:
        self.backend = backend
        self.asked: list[S] = []

    def set_flow_run_state(self, flow_run_id: str, state: S, **kwargs: Any) -> FlowRunRecord:
        self.asked.append(state)
        return self.backend.set_flow_run_state(flow_run_id, state, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.backend, name)


def test_a_claimed_run_executes_to_its_final_state(
    backend: InMemoryBackend, tmp_path: Path
) -> None:
    log = tmp_path / "log"
    run_id = scheduled(backend, tmp_path, "chain", CHAIN, log)
    state = runtime.execute_flow_run(run_id, epoch=claim(backend))
    assert state.is_failed()
    assert executions(log) == ["t1", "t2", "t3"]
    states = [e.to_state for e in backend.read_state_events(run_id)]
    assert states == [S.SCHEDULED, S.PENDING, S.RUNNING, S.FAILED]


def test_a_rescheduled_run_does_not_rerun_tasks_with_committed_results(
    backend: InMemoryBackend, tmp_path: Path
) -> None:
    log = tmp_path / "log"
    run_id = scheduled(backend, tmp_path, "chain", CHAIN, log)
    runtime.execute_flow_run(run_id, epoch=claim(backend))
    backend.retry_flow_run(run_id)
    state = runtime.execute_flow_run(run_id, epoch=claim(backend))
    assert state.is_completed() and state.result() == 20
    assert executions(log) == ["t1", "t2", "t3", "t3"]


def test_a_stale_epoch_stops_the_run_before_any_task(
    backend: InMemoryBackend, tmp_path: Path
) -> None:
    log = tmp_path / "log"
    run_id = scheduled(backend, tmp_path, "chain", CHAIN, log)
    epoch = claim(backend)
    with pytest.raises(StaleEpoch):
        runtime.execute_flow_run(run_id, epoch=epoch - 1)
    assert executions(log) == []
    assert backend.read_flow_run(run_id).state is S.PENDING


def test_losing_the_run_midway_stops_it_at_the_next_task(
    backend: InMemoryBackend, tmp_path: Path
) -> None:
    log = tmp_path / "log"
    run_id = scheduled(backend, tmp_path, "stolen", STEAL, log)
    with pytest.raises(StaleEpoch):
        runtime.execute_flow_run(run_id, epoch=claim(backend))
    assert executions(log) == ["steal"]
    assert backend.read_task_runs(run_id) == []
    assert backend.read_flow_run(run_id).state is S.RUNNING


def test_only_a_pending_or_scheduled_run_can_be_executed(
    backend: InMemoryBackend, tmp_path: Path
) -> None:
    log = tmp_path / "log"
    run_id = scheduled(backend, tmp_path, "chain", CHAIN, log)
    epoch = claim(backend)
    runtime.execute_flow_run(run_id, epoch=epoch)
    with pytest.raises(Conflict, match="only a claimed run"):
        runtime.execute_flow_run(run_id, epoch=epoch)


def test_a_first_execution_does_not_ask_for_task_runs_to_reuse(
    backend: InMemoryBackend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "log"
    run_id = scheduled(backend, tmp_path, "chain", CHAIN, log)
    asked: list[str] = []
    read_task_runs = backend.read_task_runs

    def counting(flow_run_id: str) -> list[TaskRunRecord]:
        asked.append(flow_run_id)
        return read_task_runs(flow_run_id)

    monkeypatch.setattr(backend, "read_task_runs", counting)
    runtime.execute_flow_run(run_id, epoch=claim(backend))
    assert asked == []
    backend.retry_flow_run(run_id)
    runtime.execute_flow_run(run_id, epoch=claim(backend))
    assert asked == [run_id]


def test_a_run_started_with_its_claimed_record_and_version_reads_neither(
    backend: InMemoryBackend, tmp_path: Path
) -> None:
    log = tmp_path / "log"
    path = tmp_path / "pinned.py"
    source = PREAMBLE + CHAIN
    path.write_text("raise SystemExit('the file on disk must not be loaded')\n")
    version = backend.read_flow_version(
        backend.register_flow_version("chain", source, "h1", f"{path}:chain"))
    run_id = new_id()
    backend.create_flow_run(NewFlowRun(run_id, "chain", "bold-wren", {"log": str(log)},
                                       S.SCHEDULED, backend.clock.now(),
                                       flow_version_id=version.id, entrypoint=f"{path}:chain"))
    worker = backend.register_worker("w1", ["default"])
    (got,) = backend.claim_flow_runs(worker.id, ["default"], 1, lease_seconds=30)

    reads = Reads(backend)
    state = runtime.execute_flow_run(run_id, epoch=got.epoch, backend=cast(Backend, reads),
                                     claimed=got.flow_run, version=version)
    assert reads.asked == []
    assert state.is_failed()  # CHAIN fails in its last task, after t1..t3 ran
    assert executions(log) == ["t1", "t2", "t3"]


def test_a_run_its_claim_started_reports_no_state_change_of_its_own(
    backend: InMemoryBackend, tmp_path: Path
) -> None:
    log = tmp_path / "log"
    run_id = scheduled(backend, tmp_path, "chain", CHAIN, log)
    got = claim_started(backend)
    changes = StateChanges(backend)
    state = runtime.execute_flow_run(run_id, epoch=got.epoch, backend=cast(Backend, changes),
                                     claimed=got.flow_run)
    assert state.is_failed()
    # RUNNING came with the claim and FAILED with the run's last write batch.
    assert changes.asked == []
    assert backend.read_flow_run(run_id).state is S.FAILED
    assert executions(log) == ["t1", "t2", "t3"]
    states = [e.to_state for e in backend.read_state_events(run_id)]
    assert states == [S.SCHEDULED, S.PENDING, S.RUNNING, S.FAILED]
    assert backend.read_flow_run(run_id).run_count == 1


def test_a_retried_run_its_claim_started_reuses_committed_task_results(
    backend: InMemoryBackend, tmp_path: Path
) -> None:
    log = tmp_path / "log"
    run_id = scheduled(backend, tmp_path, "chain", CHAIN, log)
    first = claim_started(backend)
    runtime.execute_flow_run(run_id, epoch=first.epoch, claimed=first.flow_run)
    backend.retry_flow_run(run_id)
    second = claim_started(backend)
    assert second.flow_run.run_count == 2
    state = runtime.execute_flow_run(run_id, epoch=second.epoch)
    assert state.is_completed() and state.result() == 20
    assert executions(log) == ["t1", "t2", "t3", "t3"]


def test_a_run_its_claim_started_commits_nothing_with_a_stale_epoch(
    backend: InMemoryBackend, tmp_path: Path
) -> None:
    log = tmp_path / "log"
    run_id = scheduled(backend, tmp_path, "chain", CHAIN, log)
    got = claim_started(backend)
    with pytest.raises(StaleEpoch):
        runtime.execute_flow_run(run_id, epoch=got.epoch - 1, claimed=got.flow_run)
    assert backend.read_task_runs(run_id) == []
    assert backend.read_flow_run(run_id).state is S.RUNNING
