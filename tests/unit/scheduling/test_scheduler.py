"""Scheduler.tick(now) on SQLite with a fake clock: due slots become SCHEDULED runs once,
catch-up after an outage follows the policy, paused and inactive schedules make nothing,
a malformed schedule is set aside without stopping the others, late runs are flagged once."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from legato._clock import FakeClock
from legato.core.deployments import DeploymentRecord, DeploymentSpec
from legato.core.schedules import CatchupPolicy, ScheduleSpec
from legato.core.states import StateType
from legato.errors import BackendUnavailable
from legato.orchestration import deployments as door
from legato.orchestration.local import LocalBackend
from legato.orchestration.service import OrchestrationService
from legato.scheduling import Scheduler, TickResult
from legato.scheduling import scheduler as scheduler_module
from legato.scheduling.deployments import create_deployment
from legato.store.database import Database
from legato.store.schedules import SLOT_RUN_COLUMNS
from legato.store.tables import flow_runs

T0 = datetime(2026, 1, 1, 10, 30, tzinfo=UTC)
HOUR = timedelta(hours=1)
ZONE = ZoneInfo("Europe/Berlin")


def deploy(db: Database, name: str = "hourly", *, now: datetime = T0,
           schedule: ScheduleSpec | None = None, **fields: object) -> DeploymentRecord:
    spec = DeploymentSpec(
        name=name, flow_name="etl", entrypoint="flows/etl.py:etl",
        parameters={"source": "s3://bucket", "limit": 5}, tags=("nightly",),
        schedules=(schedule or ScheduleSpec.cron("0 * * * *"),),
        **fields,  # type: ignore[arg-type]
    )
    return create_deployment(db, spec, now=now)


def slots(db: Database, deployment: DeploymentRecord) -> list[datetime]:
    runs = door.list_deployment_runs(db, deployment.id, limit=1000)
    return [r.scheduled_time for r in runs if r.scheduled_time is not None]


def test_a_due_slot_becomes_one_scheduled_run_with_the_deployment_defaults(db: Database) -> None:
    deployment = deploy(db)
    scheduler = Scheduler(db, FakeClock(T0))
    assert scheduler.tick(T0).created == 0
    result = scheduler.tick(T0 + 30 * timedelta(minutes=1))
    assert (result.created, result.duplicates, result.errors) == (1, 0, 0)
    [run] = door.list_deployment_runs(db, deployment.id)
    assert run.state is StateType.SCHEDULED
    assert run.scheduled_time == datetime(2026, 1, 1, 11, tzinfo=UTC)
    assert run.parameters == {"source": "s3://bucket", "limit": 5}
    assert run.idempotency_key == f"sched:{deployment.schedules[0].id}:2026-01-01T11:00:00+00:00"
    assert run.state_message is not None and deployment.schedules[0].id in run.state_message
    assert "2026-01-01T11:00:00+00:00" in run.state_message
    backend = LocalBackend(db)
    [event] = backend.read_state_events(run.id)
    assert (event.from_state, event.to_state) == (None, StateType.SCHEDULED)
    stored = backend.read_flow_run(run.id)
    assert (stored.flow_name, stored.tags, stored.entrypoint) == ("etl", ("nightly",),
                                                                   "flows/etl.py:etl")


def test_ticking_again_at_the_same_moment_creates_nothing(db: Database) -> None:
    deploy(db)
    scheduler = Scheduler(db)
    now = T0 + 2 * HOUR
    assert scheduler.tick(now).created == 1
    assert scheduler.tick(now) == scheduler.tick(now)
    assert scheduler.tick(now).created == 0


def test_tick_reads_only_due_schedules(db: Database) -> None:
    for i in range(20):
        deploy(db, f"later-{i}", schedule=ScheduleSpec.cron("0 12 * * *"))
    scheduler = Scheduler(db)
    scheduler.tick(T0)  # plans every new schedule once
    deploy(db, "due", now=T0)
    result = scheduler.tick(T0 + HOUR)
    assert (result.schedules, result.created) == (1, 1)


def test_latest_policy_after_a_three_day_outage_makes_one_run(db: Database) -> None:
    deployment = deploy(db)
    scheduler = Scheduler(db)
    scheduler.tick(T0)
    now = T0 + timedelta(days=3)
    result = scheduler.tick(now)
    assert (result.created, result.skipped) == (1, 71)
    assert slots(db, deployment) == [datetime(2026, 1, 4, 10, tzinfo=UTC)]


def test_all_policy_window_one_day_max_10_makes_the_newest_10(db: Database) -> None:
    deployment = deploy(db, catchup=CatchupPolicy.ALL, catchup_window_seconds=86400,
                        catchup_max_runs=10)
    scheduler = Scheduler(db)
    scheduler.tick(T0)
    result = scheduler.tick(T0 + timedelta(days=3))
    assert result.created == 10
    last = datetime(2026, 1, 4, 10, tzinfo=UTC)
    assert slots(db, deployment) == [last - h * HOUR for h in range(9, -1, -1)]


def test_all_policy_within_the_window_runs_every_missed_slot(db: Database) -> None:
    deployment = deploy(db, catchup=CatchupPolicy.ALL, catchup_window_seconds=86400,
                        catchup_max_runs=10)
    scheduler = Scheduler(db)
    scheduler.tick(T0)
    assert scheduler.tick(T0 + 5 * HOUR).created == 5
    assert len(slots(db, deployment)) == 5


def test_paused_deployment_makes_nothing_and_resumes_without_a_flood(db: Database) -> None:
    deployment = deploy(db)
    scheduler = Scheduler(db)
    scheduler.tick(T0)
    door.pause_deployment(db, deployment.id, now=T0)
    assert door.read_deployment(db, deployment.id).paused
    assert scheduler.tick(T0 + timedelta(days=2)).created == 0
    door.resume_deployment(db, deployment.id, now=T0 + timedelta(days=2))
    result = scheduler.tick(T0 + timedelta(days=2))
    assert result.created == 1  # latest: only the newest missed slot
    assert slots(db, deployment) == [datetime(2026, 1, 3, 10, tzinfo=UTC)]
    assert scheduler.tick(T0 + timedelta(days=2, hours=1)).created == 1


def test_a_deployment_created_paused_makes_nothing_until_resumed(db: Database) -> None:
    deployment = deploy(db, paused=True)
    scheduler = Scheduler(db)
    assert scheduler.tick(T0 + 3 * HOUR).created == 0
    door.resume_deployment(db, deployment.id, now=T0 + 3 * HOUR)
    assert scheduler.tick(T0 + 3 * HOUR).created == 1


def test_inactive_schedule_makes_nothing(db: Database) -> None:
    deployment = deploy(db, schedule=ScheduleSpec.cron("0 * * * *", active=False))
    assert Scheduler(db).tick(T0 + 5 * HOUR).created == 0
    assert slots(db, deployment) == []


def test_a_malformed_schedule_is_set_aside_and_the_others_still_run(db: Database) -> None:
    bad = deploy(db, "bad")
    bad_kind = deploy(db, "bad-kind")
    good = deploy(db, "good")
    with db.writing() as conn:  # as if written by an older Legato
        conn.execute(text("UPDATE schedules SET expression = '61 * * * *' WHERE id = :id"),
                     {"id": bad.schedules[0].id})
        conn.execute(text("UPDATE schedules SET kind = 'fortnightly' WHERE id = :id"),
                     {"id": bad_kind.schedules[0].id})
    scheduler = Scheduler(db)
    result = scheduler.tick(T0 + HOUR)
    assert (result.created, result.errors) == (1, 2)
    assert len(slots(db, good)) == 1
    with db.reading() as conn:
        error = conn.execute(text("SELECT error FROM schedules WHERE id = :id"),
                             {"id": bad.schedules[0].id}).scalar_one()
    assert "'61 * * * *'" in error and "update_deployment" in error
    later = scheduler.tick(T0 + 2 * HOUR)
    assert (later.created, later.errors) == (1, 0)


def test_runs_not_started_after_the_grace_period_are_flagged_late_once(db: Database) -> None:
    deployment = deploy(db)
    scheduler = Scheduler(db, late_after_seconds=60)
    slot = datetime(2026, 1, 1, 11, tzinfo=UTC)
    scheduler.tick(slot)
    assert scheduler.tick(slot + timedelta(seconds=60)).late == 0
    assert scheduler.tick(slot + timedelta(seconds=61)).late == 1
    assert scheduler.tick(slot + timedelta(seconds=90)).late == 0
    [run] = door.list_deployment_runs(db, deployment.id)
    assert run.late


def test_started_runs_are_never_flagged_late(db: Database) -> None:
    deployment = deploy(db)
    scheduler = Scheduler(db)
    scheduler.tick(datetime(2026, 1, 1, 11, tzinfo=UTC))
    [run] = door.list_deployment_runs(db, deployment.id)
    LocalBackend(db).set_flow_run_state(run.id, StateType.RUNNING)
    assert scheduler.tick(datetime(2026, 1, 1, 11, 30, tzinfo=UTC)).late == 0


def test_lookahead_creates_runs_slightly_before_their_slot(db: Database) -> None:
    deployment = deploy(db)
    scheduler = Scheduler(db, lookahead_seconds=60)
    assert scheduler.tick(datetime(2026, 1, 1, 10, 59, 30, tzinfo=UTC)).created == 1
    assert slots(db, deployment) == [datetime(2026, 1, 1, 11, tzinfo=UTC)]


def test_spring_forward_day_in_new_york_runs_2_30_at_7_utc(db: Database) -> None:
    start = datetime(2026, 3, 7, 12, tzinfo=UTC)
    deployment = deploy(db, now=start, schedule=ScheduleSpec.cron("30 2 * * *",
                                                                  "America/New_York"))
    clock = FakeClock(start)
    scheduler = Scheduler(OrchestrationService(db, clock))
    for _ in range(72):
        clock.advance(3600)
        scheduler.tick()
    assert slots(db, deployment) == [
        datetime(2026, 3, 8, 7, tzinfo=UTC), datetime(2026, 3, 9, 6, 30, tzinfo=UTC),
        datetime(2026, 3, 10, 6, 30, tzinfo=UTC),
    ]


def test_hourly_in_berlin_makes_25_runs_on_the_autumn_day(db: Database) -> None:
    start = datetime(2026, 10, 24, 21, 30, tzinfo=UTC)  # 23:30 CEST on the 24th
    deployment = deploy(db, now=start, schedule=ScheduleSpec.cron("@hourly", "Europe/Berlin"))
    clock = FakeClock(start)
    scheduler = Scheduler(db, clock)
    for _ in range(4 * 26):
        clock.advance(900)
        scheduler.tick()
    day = [s for s in slots(db, deployment) if s.astimezone(ZONE).date().day == 25]
    assert len(day) == 25


def test_every_90_minutes_across_the_berlin_spring_day_is_elapsed_time(db: Database) -> None:
    start = datetime(2026, 3, 28, 12, tzinfo=UTC)
    deployment = deploy(db, now=start, schedule=ScheduleSpec.cron("@every 90m", "Europe/Berlin"))
    clock = FakeClock(start)
    scheduler = Scheduler(db, clock)
    for _ in range(48):
        clock.advance(1800)
        scheduler.tick()
    made = slots(db, deployment)
    assert len(made) == 16
    assert all(b - a == timedelta(minutes=90) for a, b in itertools.pairwise(made))




def test_run_ticks_until_stopped_and_survives_a_failed_tick(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    deployment = deploy(db)
    stop = threading.Event()
    calls: list[datetime | None] = []

    class Twice(Scheduler):
        def tick(self, now: datetime | None = None) -> TickResult:
            calls.append(now)
            if len(calls) == 1:
                raise BackendUnavailable("database restarting; retry.")
            stop.set()
            return super().tick(now)

    Twice(db, FakeClock(T0 + HOUR)).run(stop, interval_seconds=0)
    assert len(calls) == 2
    assert "scheduler tick failed" in caplog.text
    assert slots(db, deployment) == [datetime(2026, 1, 1, 11, tzinfo=UTC)]


def test_a_catch_up_larger_than_one_transaction_commits_in_parts_and_loses_nothing(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scheduler_module, "MAX_RUNS_PER_TRANSACTION", 7)
    deployments = [deploy(db, f"d{i}", catchup=CatchupPolicy.ALL,
                          catchup_window_seconds=86_400, catchup_max_runs=50) for i in range(3)]
    commits: list[int] = []
    writing = db.writing

    def counting() -> Any:
        commits.append(1)
        return writing()

    monkeypatch.setattr(db, "writing", counting)
    result = Scheduler(db, batch_size=2).tick(T0 + 20 * HOUR)
    assert (result.created, result.late, result.schedules) == (60, 60, 3)
    assert len(commits) > 4, "the catch-up and the late flags were cut into transactions"
    for deployment in deployments:
        assert slots(db, deployment) == [datetime(2026, 1, 1, 11, tzinfo=UTC) + k * HOUR
                                         for k in range(20)]
    assert Scheduler(db).tick(T0 + 20 * HOUR) == TickResult()


def test_slot_runs_insert_every_column_without_a_server_default() -> None:
    needed = {column.name for column in flow_runs.columns
              if not column.nullable and column.server_default is None}
    assert needed <= set(SLOT_RUN_COLUMNS)
    assert set(SLOT_RUN_COLUMNS) <= set(flow_runs.columns.keys())
