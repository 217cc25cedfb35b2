"""Tests for legato.orchestration.service: run bookkeeping on state changes, and the
service's handling of batches the database rejects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from legato._clock import FakeClock
from legato.core.ids import new_id
from legato.core.records import NewFlowRun, StateEvent, TaskRunRow, WriteBatch
from legato.core.states import StateType as S
from legato.errors import ParameterError, StateTransitionError
from legato.orchestration.batch import BatchRefused
from legato.orchestration.service import OrchestrationService, Timing, timing_after
from legato.store.database import Database
from legato.store.tables import NaiveDatetimeError

T0 = datetime(2026, 1, 1, tzinfo=UTC)
T1 = T0 + timedelta(minutes=1)


def test_first_running_sets_start_time_and_counts_the_attempt() -> None:
    assert timing_after(S.RUNNING, Timing(None, None, 0), T0) == Timing(T0, None, 1)


def test_later_running_keeps_the_first_start_time() -> None:
    assert timing_after(S.RUNNING, Timing(T0, None, 1), T1) == Timing(T0, None, 2)


@pytest.mark.parametrize("state", [S.COMPLETED, S.FAILED, S.CRASHED, S.CANCELLED, S.CACHED])
def test_terminal_states_set_end_time(state: S) -> None:
    assert timing_after(state, Timing(T0, None, 1), T1) == Timing(T0, T1, 1)


def test_leaving_a_terminal_state_clears_end_time() -> None:
    assert timing_after(S.SCHEDULED, Timing(T0, T1, 1), T1) == Timing(T0, None, 1)


def test_creating_a_run_in_a_state_it_cannot_start_in_is_refused(any_db: Database) -> None:
    service = OrchestrationService(any_db, FakeClock(T0))
    new = NewFlowRun(new_id(), "etl", "r", {}, S.AWAITING_RETRY, T0)
    with pytest.raises(StateTransitionError, match="from nothing to AWAITING_RETRY"):
        service.create_flow_run(new)


def _task(flow_run_id: str, key: str, *, is_new: bool = True) -> TaskRunRow:
    return TaskRunRow(
        new_id(),
        flow_run_id,
        key,
        "t",
        None,
        S.PENDING,
        None,
        0,
        T0,
        T0,
        None,
        None,
        None,
        None,
        None,
        is_new,
    )


def test_a_batch_repeated_after_an_ambiguous_commit_changes_nothing(any_db: Database) -> None:
    # The engine re-sends a batch when a commit fails in a way that may have succeeded.
    service = OrchestrationService(any_db, FakeClock(T0))
    run = service.create_flow_run(NewFlowRun(new_id(), "etl", "r", {}, S.RUNNING, T0))
    rows = [_task(run.id, f"t-{i}") for i in range(3)]
    batch = WriteBatch(rows, [StateEvent(r.id, "task", None, S.PENDING, T0) for r in rows])
    service.write(batch)
    with pytest.raises(BatchRefused) as refused:
        service.write(batch)
    assert sorted(refused.value.refused) == sorted(r.id for r in rows)
    with any_db.reading() as conn:
        count = conn.exec_driver_sql("SELECT count(*) FROM state_events").scalar()
    assert count == 1 + 3


def test_parameters_that_are_not_json_are_a_parameter_error(any_db: Database) -> None:
    service = OrchestrationService(any_db, FakeClock(T0))
    new = NewFlowRun(new_id(), "etl", "r", {"when": object()}, S.PENDING, T0)
    with pytest.raises(ParameterError, match=f"flow run {new.id} cannot be stored as JSON"):
        service.create_flow_run(new)
    with any_db.reading() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM flow_runs").scalar() == 0


def test_a_naive_creation_time_is_refused_before_anything_is_stored(any_db: Database) -> None:
    service = OrchestrationService(any_db, FakeClock(T0))
    new = NewFlowRun(new_id(), "etl", "r", {}, S.PENDING, datetime(2026, 1, 1))
    with pytest.raises(NaiveDatetimeError):
        service.create_flow_run(new)
    with any_db.reading() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM flow_runs").scalar() == 0
