"""The pause part of the Backend contract: pause points stored with their schema, resumes
checked against it, suspends giving up the lease, expiry, and fencing. BackendContract
inherits it, so it runs against every backend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from legato._clock import FakeClock
from legato.core.backend import Backend
from legato.core.cancel import cancel_flow_run
from legato.core.ids import new_id
from legato.core.pauses import InputStatus, PauseKind, PauseRequest
from legato.core.records import NewFlowRun
from legato.core.states import StateType as S
from legato.errors import Conflict, ParameterError, StaleEpoch

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"approved": {"type": "boolean"}, "reviewer": {"type": "string"}},
    "required": ["approved", "reviewer"],
}


def running_run(backend: Backend) -> str:
    run_id = new_id()
    backend.create_flow_run(NewFlowRun(run_id, "etl", "calm-heron", {}, S.RUNNING, T0))
    return run_id


def claimed_running_run(backend: Backend) -> tuple[str, str, int]:
    run_id = new_id()
    backend.create_flow_run(NewFlowRun(run_id, "etl", "calm-heron", {}, S.SCHEDULED, T0))
    worker_id = backend.register_worker("pauser", ["default"]).id
    (claim,) = backend.claim_flow_runs(worker_id, ["default"], 1, lease_seconds=30)
    backend.set_flow_run_state(run_id, S.RUNNING, epoch=claim.epoch)
    return run_id, worker_id, claim.epoch


def request(kind: PauseKind = PauseKind.PAUSE, key: str = "pause-0",
            schema: dict[str, Any] | None = None) -> PauseRequest:
    return PauseRequest(key, kind, T0 + timedelta(hours=1), schema, "approve the load")


class PauseContract:
    """Pause points; subclasses provide `backend` and `clock` fixtures."""

    def test_pause_stores_the_pause_point_and_moves_the_run_to_paused(
        self, backend: Backend
    ) -> None:
        run_id = running_run(backend)
        paused = backend.pause_flow_run(run_id, request(schema=SCHEMA))
        assert paused.state is S.PAUSED
        assert paused.state_message is not None and "'pause-0'" in paused.state_message
        pending = backend.read_run_input(run_id)
        assert pending is not None
        assert (pending.key, pending.kind, pending.status) == (
            "pause-0", PauseKind.PAUSE, InputStatus.PENDING)
        assert pending.schema == SCHEMA
        assert pending.description == "approve the load"
        assert pending.deadline == T0 + timedelta(hours=1)

    def test_resume_with_matching_input_stores_it_and_runs_again(
        self, backend: Backend, clock: FakeClock
    ) -> None:
        run_id = running_run(backend)
        backend.pause_flow_run(run_id, request(schema=SCHEMA))
        resumed = backend.resume_flow_run(run_id, {"approved": True, "reviewer": "ana"})
        assert resumed.state is S.RUNNING
        answered = backend.read_run_input(run_id, "pause-0")
        assert answered is not None and answered.status is InputStatus.RESPONDED
        assert answered.value == {"approved": True, "reviewer": "ana"}
        assert answered.responded == clock.now()
        assert backend.read_run_input(run_id) is None

    def test_resume_with_bad_input_lists_every_field_and_changes_nothing(
        self, backend: Backend
    ) -> None:
        run_id = running_run(backend)
        backend.pause_flow_run(run_id, request(schema=SCHEMA))
        with pytest.raises(ParameterError) as caught:
            backend.resume_flow_run(run_id, {"approved": "yes"})
        assert "approved" in str(caught.value)
        assert {field for field, _ in caught.value.errors} >= {"approved"}
        assert backend.read_flow_run(run_id).state is S.PAUSED
        pending = backend.read_run_input(run_id)
        assert pending is not None and pending.status is InputStatus.PENDING

    def test_resume_of_a_run_not_paused_or_at_another_key_is_a_conflict(
        self, backend: Backend
    ) -> None:
        run_id = running_run(backend)
        with pytest.raises(Conflict, match="not waiting at a pause point"):
            backend.resume_flow_run(run_id)
        backend.pause_flow_run(run_id, request())
        with pytest.raises(Conflict, match="'pause-0', not 'other'"):
            backend.resume_flow_run(run_id, key="other")
        assert backend.read_flow_run(run_id).state is S.PAUSED

    def test_suspend_gives_up_the_lease_and_resume_reschedules_the_run(
        self, backend: Backend
    ) -> None:
        run_id, worker_id, epoch = claimed_running_run(backend)
        backend.pause_flow_run(run_id, request(PauseKind.SUSPEND), epoch=epoch)
        with pytest.raises(StaleEpoch):
            backend.heartbeat_lease(run_id, worker_id, epoch, lease_seconds=30)
        assert backend.resume_flow_run(run_id).state is S.SCHEDULED
        (again,) = backend.claim_flow_runs(worker_id, ["default"], 1, lease_seconds=30)
        assert again.flow_run.id == run_id and again.epoch > epoch

    def test_pause_from_a_stale_holder_is_refused_and_stores_nothing(
        self, backend: Backend
    ) -> None:
        run_id, _, epoch = claimed_running_run(backend)
        with pytest.raises(StaleEpoch):
            backend.pause_flow_run(run_id, request(), epoch=epoch + 1)
        assert backend.read_flow_run(run_id).state is S.RUNNING
        assert backend.read_run_input(run_id, "pause-0") is None

    def test_expiring_an_unanswered_pause_returns_the_run_to_running(
        self, backend: Backend
    ) -> None:
        run_id = running_run(backend)
        backend.pause_flow_run(run_id, request())
        expired = backend.expire_pause(run_id, "pause-0")
        assert expired.status is InputStatus.EXPIRED
        assert backend.read_flow_run(run_id).state is S.RUNNING
        with pytest.raises(Conflict):
            backend.resume_flow_run(run_id)

    def test_expiring_an_answered_pause_keeps_the_answer(self, backend: Backend) -> None:
        run_id = running_run(backend)
        backend.pause_flow_run(run_id, request(schema={"type": "integer"}))
        backend.resume_flow_run(run_id, 7)
        kept = backend.expire_pause(run_id, "pause-0")
        assert (kept.status, kept.value) == (InputStatus.RESPONDED, 7)

    def test_a_cancelled_paused_run_waits_for_nothing(self, backend: Backend) -> None:
        run_id = running_run(backend)
        backend.pause_flow_run(run_id, request())
        assert cancel_flow_run(backend, run_id).state is S.CANCELLED
        assert backend.read_run_input(run_id) is None
        with pytest.raises(Conflict):
            backend.resume_flow_run(run_id)

    def test_a_malformed_input_schema_is_refused_before_pausing(self, backend: Backend) -> None:
        run_id = running_run(backend)
        with pytest.raises(ParameterError, match="not a valid JSON schema"):
            backend.pause_flow_run(run_id, request(schema={"type": "no-such-type"}))
        assert backend.read_flow_run(run_id).state is S.RUNNING
