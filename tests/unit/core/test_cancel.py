"""cancel_flow_run over an in-memory backend: runs that have not started end CANCELLED at
once, running runs become CANCELLING, finished and unknown runs are refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from legato._clock import FakeClock
from legato.core.cancel import CANCEL_REASON, AlreadyFinal, cancel_flow_run
from legato.core.ids import new_id
from legato.core.records import NewFlowRun
from legato.core.states import StateType as S
from legato.errors import NotFound
from legato.testing import InMemoryBackend

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def backend() -> InMemoryBackend:
    return InMemoryBackend(FakeClock(T0))


def make_run(backend: InMemoryBackend, state: S) -> str:
    run_id = new_id()
    backend.create_flow_run(NewFlowRun(run_id, "etl", "run", {}, state, T0))
    return run_id


@pytest.mark.parametrize("state", [S.SCHEDULED, S.PENDING])
def test_a_run_that_has_not_started_ends_cancelled_at_once(
    backend: InMemoryBackend, state: S
) -> None:
    run_id = make_run(backend, state)
    record = cancel_flow_run(backend, run_id)
    assert (record.state, record.state_message) == (S.CANCELLED, CANCEL_REASON)
    assert backend.read_flow_run(run_id).state is S.CANCELLED


def test_a_running_run_becomes_cancelling_and_cancelling_again_changes_nothing(
    backend: InMemoryBackend,
) -> None:
    run_id = make_run(backend, S.RUNNING)
    assert cancel_flow_run(backend, run_id).state is S.CANCELLING
    assert cancel_flow_run(backend, run_id).state is S.CANCELLING
    assert [e.to_state for e in backend.read_state_events(run_id)] == [S.RUNNING, S.CANCELLING]


def test_a_finished_run_cannot_be_cancelled(backend: InMemoryBackend) -> None:
    run_id = make_run(backend, S.COMPLETED)
    with pytest.raises(AlreadyFinal, match="already COMPLETED and cannot be cancelled"):
        cancel_flow_run(backend, run_id)
    assert backend.read_flow_run(run_id).state is S.COMPLETED


def test_an_unknown_run_is_not_found(backend: InMemoryBackend) -> None:
    with pytest.raises(NotFound):
        cancel_flow_run(backend, new_id())
