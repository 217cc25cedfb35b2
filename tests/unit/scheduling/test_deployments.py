"""Deployments: create, read, list a page, update (unchanged schedules keep their slot),
pause, resume, delete; bad cron refused before anything is stored; backfills bounded,
idempotent and oldest first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from legato.core.deployments import DeploymentSpec
from legato.core.schedules import CatchupPolicy, ScheduleSpec
from legato.errors import Conflict, DefinitionError, NotFound, ParameterError
from legato.orchestration import deployments as door
from legato.scheduling import Scheduler
from legato.scheduling.deployments import backfill, create_deployment, update_deployment
from legato.store.database import Database

NOW = datetime(2026, 1, 1, 10, 30, tzinfo=UTC)
HOURLY = ScheduleSpec.cron("0 * * * *", "Europe/Berlin")


def spec(name: str = "nightly", **fields: object) -> DeploymentSpec:
    base = DeploymentSpec(name=name, flow_name="etl", entrypoint="etl.py:etl",
                          schedules=(HOURLY,))
    return DeploymentSpec(**{**{f: getattr(base, f) for f in base.__slots__}, **fields})


def test_create_then_read_returns_every_field(db: Database) -> None:
    given = spec(parameters={"x": 1}, tags=("a", "b"), work_queue="gpu", catchup=CatchupPolicy.ALL,
                 catchup_window_seconds=3600, catchup_max_runs=3, max_active_runs=2,
                 run_timeout_seconds=90.0, version="1.2", description="nightly load",
                 schedules=(HOURLY, ScheduleSpec.interval(300), ScheduleSpec.rrule(
                     "RRULE:FREQ=DAILY;BYHOUR=9", "America/New_York")))
    created = create_deployment(db, given, now=NOW)
    read = door.read_deployment(db, created.id)
    assert read == created
    assert read.spec == given
    assert [s.spec for s in read.schedules] == list(given.schedules)
    assert read.created == read.updated == NOW
    assert door.find_deployment(db, "etl", "nightly").id == created.id


def test_a_second_deployment_with_the_same_name_conflicts(db: Database) -> None:
    create_deployment(db, spec(), now=NOW)
    with pytest.raises(Conflict, match="already has a deployment named 'nightly'"):
        create_deployment(db, spec(), now=NOW)
    other_flow = spec(flow_name="report")
    assert create_deployment(db, other_flow, now=NOW).spec.flow_name == "report"


def test_bad_cron_is_refused_before_anything_is_stored(db: Database) -> None:
    with pytest.raises(DefinitionError, match=r"'61 \* \* \* \*' is invalid"):
        create_deployment(db, spec(schedules=(ScheduleSpec.cron("61 * * * *"),)), now=NOW)
    assert door.list_deployments(db) == []


def test_unknown_ids_raise_not_found(db: Database) -> None:
    for call in (lambda: door.read_deployment(db, "nope"),
                 lambda: door.pause_deployment(db, "nope", now=NOW),
                 lambda: door.delete_deployment(db, "nope"),
                 lambda: update_deployment(db, "nope", now=NOW, version="2"),
                 lambda: door.find_deployment(db, "etl", "nope")):
        with pytest.raises(NotFound, match=r"does not exist|has no deployment"):
            call()


def test_list_pages_oldest_first(db: Database) -> None:
    ids = [create_deployment(db, spec(f"d{i}"), now=NOW + timedelta(seconds=i)).id
           for i in range(5)]
    assert [d.id for d in door.list_deployments(db, limit=2)] == ids[:2]
    assert [d.id for d in door.list_deployments(db, limit=2, offset=4)] == ids[4:]
    assert door.list_deployments(db, flow_name="other") == []
    with pytest.raises(ParameterError, match="limit=-1"):
        door.list_deployments(db, limit=-1)


def test_update_keeps_unchanged_schedules_and_replaces_the_rest(db: Database) -> None:
    created = create_deployment(db, spec(), now=NOW)
    Scheduler(db).tick(NOW + timedelta(hours=1))
    daily = ScheduleSpec.cron("@daily")
    updated = update_deployment(db, created.id, now=NOW, version="2",
                                schedules=[HOURLY, daily])
    assert updated.spec.version == "2"
    assert updated.schedules[0].id == created.schedules[0].id
    assert updated.schedules[0].next_slot == datetime(2026, 1, 1, 12, tzinfo=UTC)
    assert updated.schedules[1].spec == daily and updated.schedules[1].next_slot is None
    with pytest.raises(ParameterError, match="unknown fields \\['colour'\\]"):
        door.update_deployment(db, created.id, now=NOW, colour="red")
    with pytest.raises(DefinitionError, match="is invalid"):
        update_deployment(db, created.id, now=NOW, schedules=[ScheduleSpec.cron("bad")])


def test_pause_resume_and_delete(db: Database) -> None:
    created = create_deployment(db, spec(), now=NOW)
    assert door.pause_deployment(db, created.id, now=NOW).paused
    assert not door.resume_deployment(db, created.id, now=NOW).paused
    Scheduler(db).tick(NOW + timedelta(hours=1))
    door.delete_deployment(db, created.id)
    with pytest.raises(NotFound):
        door.read_deployment(db, created.id)
    # Runs outlive their deployment, as history.
    assert len(door.list_deployment_runs(db, created.id)) == 1


def test_backfill_makes_one_run_per_slot_oldest_first_and_is_idempotent(db: Database) -> None:
    created = create_deployment(db, spec(schedules=(ScheduleSpec.cron("0 * * * *"),)),
                                now=NOW)
    start = datetime(2025, 12, 1, tzinfo=UTC)
    end = start + timedelta(hours=6)
    assert backfill(db, created.id, start, end, now=NOW) == 6
    assert backfill(db, created.id, start, end + timedelta(hours=1), now=NOW) == 1
    runs = door.list_deployment_runs(db, created.id)
    assert [r.scheduled_time for r in runs] == [start + timedelta(hours=h) for h in range(7)]
    assert all(r.is_backfill and r.idempotency_key is not None
               and r.idempotency_key.startswith(f"backfill:{created.id}:") for r in runs)
    assert runs[0].state_message is not None and "backfill" in runs[0].state_message


def test_backfill_refuses_more_than_max_runs_and_bad_ranges(db: Database) -> None:
    created = create_deployment(db, spec(), now=NOW)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    with pytest.raises(ParameterError, match="more than max_runs=10 slots"):
        backfill(db, created.id, start, start + timedelta(days=1), now=NOW, max_runs=10)
    assert door.list_deployment_runs(db, created.id) == []
    with pytest.raises(ParameterError, match="not before end"):
        backfill(db, created.id, start, start, now=NOW)
    with pytest.raises(ParameterError, match="naive start"):
        backfill(db, created.id, datetime(2025, 1, 1), start, now=NOW)
