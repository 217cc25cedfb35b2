"""The write-behind recorder: group commit, retrying an unavailable backend, refused
transitions, and flush semantics."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from legato import flow, task
from legato.core.records import Edge, FlowRunEnding, LogRow, NewFlowRun, WriteBatch
from legato.core.states import StateType
from legato.engine.recorder import Recorder
from legato.errors import BackendUnavailable, StateTransitionError
from legato.testing import FakeClock, InMemoryBackend, legato_test_harness

from .support import only_flow_run, task_runs

S = StateType
T0 = datetime(2026, 1, 1, tzinfo=UTC)


class FlakyBackend(InMemoryBackend):
    """Refuses the first `failures` writes with BackendUnavailable."""

    def __init__(self, clock: FakeClock, failures: int) -> None:
        super().__init__(clock)
        self.failures = failures
        self.attempted = 0

    def write(self, batch: WriteBatch) -> None:
        self.attempted += 1
        if self.failures > 0:
            self.failures -= 1
            raise BackendUnavailable("database is down")
        super().write(batch)


class RefusingBackend(InMemoryBackend):
    """Commits every batch, then reports a refused transition for the first one."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__(clock)
        self.refusals = 1

    def write(self, batch: WriteBatch) -> None:
        super().write(batch)
        if self.refusals:
            self.refusals -= 1
            raise StateTransitionError(
                "task run x-0 is already COMPLETED and cannot become RUNNING"
            )


class CountingBackend(InMemoryBackend):
    """Keeps every batch it is given."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[WriteBatch] = []

    def write(self, batch: WriteBatch) -> None:
        self.batches.append(batch)
        super().write(batch)


def _change(run: Any, to_state: StateType, from_state: StateType | None, attempts: int,
            is_new: bool) -> tuple[Any, ...]:
    return (run, to_state, from_state, None, T0, False, attempts, T0, None, None, None, None,
            is_new)


def _fake_run(run_id: str) -> Any:
    return SimpleNamespace(id=run_id, key=f"{run_id}-0", map_index=None, created=T0,
                           spec=SimpleNamespace(name=run_id),
                           flow=SimpleNamespace(flow_run=SimpleNamespace(id="run-1")))


def _log(flow_run_id: str, message: str) -> LogRow:
    return LogRow(flow_run_id, None, 20, "test", message, T0)


def test_flush_commits_everything_enqueued_before_it() -> None:
    backend = InMemoryBackend()
    recorder = Recorder(backend, FakeClock())
    for i in range(100):
        recorder.log(_log("run-1", f"line {i}"))
    recorder.edge(Edge("run-1", "a", "b"))
    recorder.flush()
    assert [log.message for log in backend.read_logs("run-1")] == [f"line {i}" for i in range(100)]
    assert backend.read_edges("run-1") == [("a", "b")]
    assert 1 <= backend.writes <= 101
    recorder.close()


def test_flush_and_close_without_anything_enqueued_do_nothing() -> None:
    backend = InMemoryBackend()
    recorder = Recorder(backend, FakeClock())
    recorder.flush()
    recorder.close()
    assert backend.writes == 0


def test_unavailable_backend_is_retried_until_it_takes_the_batch() -> None:
    clock = FakeClock()
    backend = FlakyBackend(clock, failures=2)
    recorder = Recorder(backend, clock)
    recorder.log(_log("run-1", "survives"))
    recorder.flush()
    assert [log.message for log in backend.read_logs("run-1")] == ["survives"]
    assert backend.attempted == 3
    assert clock.sleeps == [0.05, 0.2]
    recorder.close()


def test_backend_down_for_longer_than_every_retry_fails_the_flush() -> None:
    clock = FakeClock()
    backend = FlakyBackend(clock, failures=1000)
    recorder = Recorder(backend, clock)
    recorder.log(_log("run-1", "lost"))
    with pytest.raises(BackendUnavailable, match="database is down"):
        recorder.flush()
    assert backend.attempted == 11
    assert sum(clock.sleeps) > 30  # it kept trying for a while before giving up
    # the error is reported once; the recorder keeps working afterwards
    backend.failures = 0
    recorder.log(_log("run-1", "kept"))
    recorder.flush()
    assert [log.message for log in backend.read_logs("run-1")] == ["kept"]
    recorder.close()


def test_refused_transition_is_remembered_and_does_not_fail_the_flush() -> None:
    clock = FakeClock()
    backend = RefusingBackend(clock)
    recorder = Recorder(backend, clock)
    recorder.log(_log("run-1", "a"))
    recorder.flush()
    recorder.log(_log("run-1", "b"))
    recorder.flush()
    assert [log.message for log in backend.read_logs("run-1")] == ["a", "b"]
    assert recorder.rejected == ["task run x-0 is already COMPLETED and cannot become RUNNING"]
    recorder.close()


def test_thousand_mapped_tasks_reach_the_backend_in_far_fewer_batches() -> None:
    clock = FakeClock()
    backend = InMemoryBackend(clock)

    @task
    def inc(x: int) -> int:
        return x + 1

    @flow
    def fan_out() -> int:
        return sum(inc.map(range(1000)).result())

    with legato_test_harness(backend, clock=clock):
        assert fan_out() == sum(range(1, 1001))
    run = only_flow_run(backend)
    runs = task_runs(backend, run.id)
    assert len(runs) == 1000
    assert all(r.state is S.COMPLETED for r in runs.values())
    transitions = [e for e in backend.events if e.run_kind == "task"]
    assert len(transitions) == 3000  # PENDING, RUNNING, COMPLETED each
    assert backend.writes < 1000


def test_flow_survives_a_backend_that_is_briefly_unavailable() -> None:
    clock = FakeClock()
    backend = FlakyBackend(clock, failures=2)

    @task
    def one(_: int = 0) -> int:
        return 1

    @flow
    def pipeline() -> int:
        return sum(one.map(range(20)).result())

    with legato_test_harness(backend, clock=clock):
        assert pipeline() == 20
    runs = task_runs(backend)
    assert len(runs) == 20
    assert all(r.state is S.COMPLETED for r in runs.values())
    assert clock.sleeps[:2] == [0.05, 0.2]


def test_refused_transition_does_not_stop_the_flow() -> None:
    clock = FakeClock()
    backend = RefusingBackend(clock)

    @task
    def one(_: int = 0) -> int:
        return 1

    @flow
    def pipeline() -> int:
        return sum(one.map(range(10)).result()) + one()

    with legato_test_harness(backend, clock=clock):
        state = pipeline(return_state=True)
    assert state.is_completed() and state.result() == 11
    assert only_flow_run(backend).state is S.COMPLETED
    assert backend.refusals == 0


def test_changes_of_one_task_run_in_one_batch_become_one_row_and_every_event() -> None:
    backend = CountingBackend()
    recorder = Recorder(backend, FakeClock(), linger=30)
    run = _fake_run("t")
    recorder.task_change(_change(run, S.PENDING, None, 0, True))
    recorder.task_change(_change(run, S.RUNNING, S.PENDING, 1, False))
    recorder.task_change(_change(run, S.COMPLETED, S.RUNNING, 1, False))
    recorder.flush()
    (batch,) = backend.batches
    (row,) = batch.task_runs
    assert (row.state, row.attempts, row.is_new) == (S.COMPLETED, 1, True)
    assert [e.to_state for e in batch.events] == [S.PENDING, S.RUNNING, S.COMPLETED]
    assert [e.to_state for e in backend.read_state_events("t")] == [S.PENDING, S.RUNNING,
                                                                   S.COMPLETED]
    assert backend.task_runs["t"].state is S.COMPLETED
    recorder.close()


def test_flush_does_not_wait_out_the_linger() -> None:
    backend = InMemoryBackend()
    recorder = Recorder(backend, FakeClock(), linger=30)
    recorder.log(_log("run-1", "now"))
    recorder.flush(timeout=2)  # raises BackendUnavailable if it waited for the 30 s window
    assert [log.message for log in backend.read_logs("run-1")] == ["now"]
    recorder.close()


def test_a_row_first_seen_in_an_earlier_batch_is_not_new_in_the_next() -> None:
    backend = CountingBackend()
    recorder = Recorder(backend, FakeClock(), linger=30)
    run = _fake_run("t")
    recorder.task_change(_change(run, S.RUNNING, None, 1, True))
    recorder.flush()
    recorder.task_change(_change(run, S.FAILED, S.RUNNING, 1, False))
    recorder.flush()
    assert [[r.is_new for r in b.task_runs] for b in backend.batches] == [[True], [False]]
    assert backend.task_runs["t"].state is S.FAILED
    recorder.close()


def _running_run(backend: InMemoryBackend) -> str:
    backend.create_flow_run(NewFlowRun("run-1", "f", "calm-heron", {}, S.RUNNING, T0))
    return "run-1"


def test_a_flush_with_an_ending_commits_it_with_the_last_writes_in_one_batch() -> None:
    backend = CountingBackend()
    run_id = _running_run(backend)
    recorder = Recorder(backend, FakeClock(), linger=60)
    recorder.log(_log(run_id, "last words"))
    recorder.flush(ending=FlowRunEnding(run_id, S.COMPLETED, "done"))
    assert len(backend.batches) == 1
    (batch,) = backend.batches
    assert [log.message for log in batch.logs] == ["last words"]
    assert batch.ending == FlowRunEnding(run_id, S.COMPLETED, "done")
    assert backend.read_flow_run(run_id).state is S.COMPLETED
    recorder.close()


def test_a_refused_ending_fails_the_flush_and_keeps_the_rest_committed() -> None:
    backend = InMemoryBackend()
    run_id = _running_run(backend)
    backend.set_flow_run_state(run_id, S.CANCELLED)
    recorder = Recorder(backend, FakeClock())
    recorder.log(_log(run_id, "kept"))
    with pytest.raises(StateTransitionError, match=run_id):
        recorder.flush(ending=FlowRunEnding(run_id, S.COMPLETED))
    assert [log.message for log in backend.read_logs(run_id)] == ["kept"]
    assert backend.read_flow_run(run_id).state is S.CANCELLED
    recorder.flush()  # the refusal is reported once
    recorder.close()


def test_backpressure_ends_the_linger_so_a_producer_past_high_water_is_not_held(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Changes do not wake a lingering writer (that cost a thread switch per change); a
    # producer past the high-water mark must, or it would wait out its one-second bound
    # with nothing written.
    monkeypatch.setattr("legato.engine.recorder.HIGH_WATER", 3)
    backend = CountingBackend()
    recorder = Recorder(backend, FakeClock(), linger=60)
    for index in range(6):
        recorder.task_change(_change(_fake_run(f"t{index}"), S.RUNNING, None, 1, True))
    assert backend.batches  # written while the linger had most of a minute left
    recorder.close()
    assert sorted(row.id for b in backend.batches for row in b.task_runs) == \
        [f"t{index}" for index in range(6)]
