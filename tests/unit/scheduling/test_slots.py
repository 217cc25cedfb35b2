"""Slots of cron, interval and RRULE schedules across DST days in America/New_York and
Europe/Berlin: gaps move forward, repeated hours run once, intervals are elapsed time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise, takewhile
from zoneinfo import ZoneInfo

import pytest

from legato.core.schedules import ScheduleSpec
from legato.errors import DefinitionError
from legato.scheduling.slots import compile_schedule, next_slot, validate_schedule

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")


def slots_on_local_day(spec: ScheduleSpec, day: datetime) -> list[datetime]:
    """Slots from local midnight of `day` to the next local midnight, in UTC."""
    tz = ZoneInfo(spec.timezone)
    start = day.replace(tzinfo=tz).astimezone(UTC)
    end = (day + timedelta(days=1)).replace(tzinfo=tz).astimezone(UTC)
    source = compile_schedule(spec)
    return list(takewhile(lambda s: s < end, source.slots_from(start)))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[arg-type, misc]


def test_slot_in_the_spring_forward_gap_moves_to_the_first_valid_instant() -> None:
    spec = ScheduleSpec.cron("30 2 * * *", "America/New_York")
    # 02:30 does not exist on 2026-03-08: it runs at 03:00 EDT, i.e. 07:00 UTC.
    assert slots_on_local_day(spec, datetime(2026, 3, 8)) == [utc(2026, 3, 8, 7)]
    assert slots_on_local_day(spec, datetime(2026, 3, 7)) == [utc(2026, 3, 7, 7, 30)]
    assert slots_on_local_day(spec, datetime(2026, 3, 9)) == [utc(2026, 3, 9, 6, 30)]


def test_fixed_time_in_the_repeated_fall_back_hour_runs_once_at_its_first_occurrence() -> None:
    spec = ScheduleSpec.cron("30 1 * * *", "America/New_York")
    # 01:30 happens at 05:30 UTC (EDT) and again at 06:30 UTC (EST): only the first runs.
    assert slots_on_local_day(spec, datetime(2026, 11, 1)) == [utc(2026, 11, 1, 5, 30)]


def test_2_30_in_new_york_on_the_fall_back_day_runs_once() -> None:
    spec = ScheduleSpec.cron("30 2 * * *", "America/New_York")
    assert slots_on_local_day(spec, datetime(2026, 11, 1)) == [utc(2026, 11, 1, 7, 30)]


def test_hourly_cron_in_berlin_has_23_slots_in_spring_and_25_in_autumn() -> None:
    spec = ScheduleSpec.cron("@hourly", "Europe/Berlin")
    spring = slots_on_local_day(spec, datetime(2026, 3, 29))
    autumn = slots_on_local_day(spec, datetime(2026, 10, 25))
    normal = slots_on_local_day(spec, datetime(2026, 6, 1))
    assert (len(spring), len(autumn), len(normal)) == (23, 25, 24)
    # Every real hour of the day runs exactly once: consecutive slots are one hour apart.
    for day in (spring, autumn, normal):
        assert all(b - a == timedelta(hours=1) for a, b in pairwise(day))
    # Autumn runs 02:00 CEST and 02:00 CET: both real hours.
    local = [s.astimezone(BERLIN) for s in autumn]
    assert [t.strftime("%H:%M%z") for t in local[2:4]] == ["02:00+0200", "02:00+0100"]


def test_hourly_cron_in_new_york_across_both_transitions() -> None:
    spec = ScheduleSpec.cron("0 * * * *", "America/New_York")
    assert len(slots_on_local_day(spec, datetime(2026, 3, 8))) == 23
    assert len(slots_on_local_day(spec, datetime(2026, 11, 1))) == 25


@pytest.mark.parametrize(("tz", "day"), [("Europe/Berlin", datetime(2026, 3, 29)),
                                         ("Europe/Berlin", datetime(2026, 10, 25)),
                                         ("America/New_York", datetime(2026, 3, 8)),
                                         ("America/New_York", datetime(2026, 11, 1))])
def test_every_90_minutes_is_elapsed_time_across_dst(tz: str, day: datetime) -> None:
    spec = ScheduleSpec.cron("@every 90m", tz)
    source = compile_schedule(spec)
    start = day.replace(tzinfo=ZoneInfo(tz)).astimezone(UTC) - timedelta(hours=3)
    slots = list(takewhile(lambda s: s < start + timedelta(days=1, hours=6),
                           source.slots_from(start)))
    assert all(b - a == timedelta(minutes=90) for a, b in pairwise(slots))
    assert len(slots) == 20  # 30 hours / 1.5 h


def test_interval_counts_from_its_anchor() -> None:
    anchor = utc(2026, 1, 1, 0, 10)
    source = compile_schedule(ScheduleSpec.interval(3600, anchor=anchor))
    assert next_slot(source, utc(2026, 1, 1, 5, 0)) == utc(2026, 1, 1, 5, 10)
    assert next_slot(source, utc(2026, 1, 1, 5, 10)) == utc(2026, 1, 1, 5, 10)
    assert source.lower_bound_before(utc(2026, 1, 1, 5, 9)) == utc(2026, 1, 1, 4, 10)


def test_slots_from_includes_a_slot_exactly_at_the_start() -> None:
    source = compile_schedule(ScheduleSpec.cron("0 * * * *"))
    assert next_slot(source, utc(2026, 1, 1, 5)) == utc(2026, 1, 1, 5)


def test_cron_lower_bound_is_at_or_before_the_latest_slot() -> None:
    source = compile_schedule(ScheduleSpec.cron("30 2 * * *", "America/New_York"))
    moment = utc(2026, 3, 8, 12)
    bound = source.lower_bound_before(moment)
    assert bound is not None and bound <= utc(2026, 3, 8, 7)


def test_rrule_in_a_zone_follows_the_cron_rules_for_gaps_and_folds() -> None:
    spec = ScheduleSpec.rrule("DTSTART:20260301T023000\nRRULE:FREQ=DAILY", "America/New_York")
    assert slots_on_local_day(spec, datetime(2026, 3, 8)) == [utc(2026, 3, 8, 7)]
    fold = ScheduleSpec.rrule("DTSTART:20261001T013000\nRRULE:FREQ=DAILY", "America/New_York")
    assert slots_on_local_day(fold, datetime(2026, 11, 1)) == [utc(2026, 11, 1, 5, 30)]


def test_rrule_with_byhour_and_count_ends() -> None:
    spec = ScheduleSpec.rrule(
        "DTSTART:20260105T000000\nRRULE:FREQ=WEEKLY;BYDAY=MO,WE;BYHOUR=9;COUNT=3", "Europe/Berlin"
    )
    source = compile_schedule(spec)
    assert list(source.slots_from(utc(2026, 1, 1))) == [
        utc(2026, 1, 5, 8), utc(2026, 1, 7, 8), utc(2026, 1, 12, 8)
    ]
    assert next_slot(source, utc(2026, 2, 1)) is None


@pytest.mark.parametrize(
    ("spec", "pattern"),
    [
        (ScheduleSpec.cron("61 * * * *"), r"cron expression '61 \* \* \* \*' is invalid.*'0 \* \* \* \*'"),
        (ScheduleSpec.cron("* * *"), r"'\* \* \*' is invalid.*five fields"),
        (ScheduleSpec.rrule("FREQ=SOMETIMES"), r"RRULE 'FREQ=SOMETIMES' is invalid.*iCalendar"),
        (ScheduleSpec.rrule("RRULE:FREQ=DAILY;BYHOUR=99"), r"RRULE .* is invalid"),
    ],
)
def test_bad_expressions_name_the_expression_and_the_fix(spec: ScheduleSpec, pattern: str) -> None:
    with pytest.raises(DefinitionError, match=pattern):
        validate_schedule(spec)
