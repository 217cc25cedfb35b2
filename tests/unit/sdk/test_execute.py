"""execute_flow_run: a worker's child executes a claimed run with its stored parameters,
reuses task runs with committed results, and stops once its epoch is stale (fencing)."""

from __future__ import annotations

from pathlib import Path

import pytest

from legato.core.ids import new_id
from legato.core.records import NewFlowRun, TaskRunRecord
from legato.core.states import StateType as S
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
