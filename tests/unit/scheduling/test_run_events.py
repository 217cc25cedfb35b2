"""Flow-run events made by the scheduler, on SQLite and PostgreSQL: each slot run's first
state is a `legato.flow-run.scheduled` event naming its deployment, a run flagged late
gets one `legato.flow-run.late` event, and the states a claim and a run's ending write
name it too."""

from __future__ import annotations

from datetime import timedelta

from legato._clock import FakeClock
from legato.core.records import Fence, FlowRunEnding, WriteBatch
from legato.core.states import StateType
from legato.orchestration.local import LocalBackend
from legato.scheduling import Scheduler
from legato.store.database import Database

from .test_scheduler import T0, deploy


def test_slot_runs_and_late_runs_are_events_naming_the_deployment(any_db: Database) -> None:
    deployment = deploy(any_db)
    scheduler = Scheduler(any_db, FakeClock(T0), late_after_seconds=60)
    assert scheduler.tick(T0 + timedelta(minutes=30)).created == 1
    backend = LocalBackend(any_db)
    (scheduled,) = backend.list_events(name="legato.flow-run.scheduled")
    assert scheduled.payload["deployment_id"] == deployment.id
    assert scheduled.payload["deployment_name"] == "hourly"
    assert scheduled.payload["flow_name"] == "etl"
    assert scheduled.payload["state"] == StateType.SCHEDULED.value
    assert f"legato.deployment.{deployment.id}" in scheduled.related
    scheduler.tick(T0 + timedelta(hours=1))
    scheduler.tick(T0 + timedelta(hours=1, minutes=5))
    (late,) = backend.list_events(name="legato.flow-run.late")
    assert late.resource == scheduled.resource
    assert late.payload["deployment_name"] == "hourly"


def test_a_claimed_run_and_its_ending_in_a_write_batch_are_events_naming_the_deployment(
    any_db: Database,
) -> None:
    # The claim and the ending read each run's origin with the run itself (one query fewer
    # per state change); the events must still name the flow and the deployment.
    deployment = deploy(any_db)
    Scheduler(any_db, FakeClock(T0)).tick(T0 + timedelta(minutes=30))
    backend = LocalBackend(any_db, clock=FakeClock(T0 + timedelta(minutes=30)))
    worker = backend.register_worker("w1", ["default"], pid=1, host="h")
    (claim,) = backend.claim_flow_runs(worker.id, ["default"], 1, lease_seconds=30, start=True)
    run_id = claim.flow_run.id
    backend.write(WriteBatch(fence=Fence(run_id, claim.epoch),
                             ending=FlowRunEnding(run_id, StateType.COMPLETED, "done")))
    assert backend.read_flow_run(run_id).state is StateType.COMPLETED
    for state in ("pending", "running", "completed"):
        (event,) = backend.list_events(name=f"legato.flow-run.{state}")
        assert event.resource == f"legato.flow-run.{run_id}"
        assert (event.payload["flow_name"], event.payload["deployment_id"],
                event.payload["deployment_name"]) == ("etl", deployment.id, "hourly")
        assert f"legato.deployment.{deployment.id}" in event.related
