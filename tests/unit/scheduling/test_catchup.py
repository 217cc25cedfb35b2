"""Catch-up planning: `latest` runs only the newest missed slot, `all` runs the missed slots
inside the window, at most max_runs of them (the newest kept), and very long outages jump."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from legato.core.schedules import CatchupPolicy, ScheduleSpec
from legato.scheduling import catchup
from legato.scheduling.catchup import plan_slots
from legato.scheduling.slots import compile_schedule

HOURLY = compile_schedule(ScheduleSpec.cron("0 * * * *"))
T0 = datetime(2026, 1, 1, tzinfo=UTC)
THREE_DAYS = T0 + timedelta(days=3)


def test_latest_after_a_three_day_outage_runs_only_the_newest_slot() -> None:
    plan = plan_slots(HOURLY, T0, THREE_DAYS + timedelta(minutes=30),
                      policy=CatchupPolicy.LATEST, window_seconds=86400, max_runs=10)
    assert plan.run == (THREE_DAYS,)
    assert plan.skipped == 72  # slots T0 .. T0+71h
    assert plan.next_slot == THREE_DAYS + timedelta(hours=1)


def test_all_with_a_one_day_window_and_max_10_runs_the_newest_10() -> None:
    plan = plan_slots(HOURLY, T0, THREE_DAYS, policy=CatchupPolicy.ALL,
                      window_seconds=86400, max_runs=10)
    assert plan.run == tuple(THREE_DAYS - timedelta(hours=h) for h in range(9, -1, -1))
    assert plan.skipped == 73 - 10


def test_all_within_the_window_keeps_every_slot_of_the_last_day() -> None:
    plan = plan_slots(HOURLY, T0, THREE_DAYS, policy=CatchupPolicy.ALL,
                      window_seconds=86400, max_runs=100)
    # [now - 1 day, now] holds 25 hourly slots, both ends included.
    assert plan.run[0] == THREE_DAYS - timedelta(days=1)
    assert plan.run[-1] == THREE_DAYS
    assert len(plan.run) == 25


def test_nothing_is_due_before_the_next_slot() -> None:
    plan = plan_slots(HOURLY, T0, T0 - timedelta(seconds=1), policy=CatchupPolicy.ALL,
                      window_seconds=86400, max_runs=10)
    assert plan.run == () and plan.next_slot == T0


def test_a_very_long_outage_jumps_instead_of_walking_every_slot() -> None:
    minutely = compile_schedule(ScheduleSpec.cron("* * * * *"))
    now = T0 + timedelta(days=365)
    for policy in CatchupPolicy:
        plan = plan_slots(minutely, T0, now, policy=policy, window_seconds=3600, max_runs=5)
        assert plan.run[-1] == now
        assert len(plan.run) == (1 if policy is CatchupPolicy.LATEST else 5)
        assert catchup.SCAN_LIMIT <= plan.skipped < 2 * catchup.SCAN_LIMIT + 61
