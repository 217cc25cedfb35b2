"""Flow-run events made by the scheduler, on SQLite and PostgreSQL: each slot run's first
state is a `legato.flow-run.scheduled` event naming its deployment, and a run flagged late
gets one `legato.flow-run.late` event."""

from __future__ import annotations

from datetime import timedelta

from legato._clock import FakeClock
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
