"""Slot arithmetic for schedules: cron (cronsim), elapsed-time intervals and RRULEs
(python-dateutil), each in its time zone, as aware UTC datetimes. Used by the scheduler,
backfills and deployment validation."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from cronsim import CronSim, CronSimError
from dateutil.rrule import rrule, rruleset, rrulestr

from legato.core.schedules import ScheduleKind, ScheduleSpec, check_schedule, zone
from legato.errors import DefinitionError

_TICK = timedelta(microseconds=1)
# Wall-clock gaps (spring forward) are at most a few hours; a slot inside one moves forward
# minute by minute to the first instant that exists.
_MAX_GAP_MINUTES = 24 * 60


class SlotSource(Protocol):
    """The slots of one schedule, in time order."""

    def slots_from(self, start: datetime) -> Iterator[datetime]:
        """Every slot at or after `start`, ascending (possibly endless)."""
        ...

    def lower_bound_before(self, moment: datetime) -> datetime | None:
        """An instant at or before the latest slot <= `moment` (None: no such slot known),
        so "the latest slot" can be found without walking from a distant past."""
        ...


def compile_schedule(spec: ScheduleSpec) -> SlotSource:
    """Parse a schedule into its slot source; DefinitionError naming the expression if bad.

    >>> compile_schedule(ScheduleSpec.cron("@hourly")).slots_from(now)
    """
    check_schedule(spec)
    tz = zone(spec.timezone)
    if spec.kind is ScheduleKind.INTERVAL:
        assert spec.interval_seconds is not None, "checked by check_schedule"
        return IntervalSlots(spec.interval_seconds, spec.interval_anchor())
    expression = spec.expression or ""
    if spec.kind is ScheduleKind.CRON:
        return CronSlots(expression, tz)
    return RRuleSlots(expression, tz)


def validate_schedule(spec: ScheduleSpec) -> ScheduleSpec:
    """Check a schedule completely (expression syntax included); return it."""
    compile_schedule(spec)
    return spec


def next_slot(source: SlotSource, start: datetime) -> datetime | None:
    """The first slot at or after `start`, or None for a schedule that has ended."""
    return next(source.slots_from(start), None)


class IntervalSlots:
    """anchor + k * interval: elapsed time, so DST never stretches or shrinks it."""

    def __init__(self, seconds: int, anchor: datetime) -> None:
        self.step = timedelta(seconds=seconds)
        self.anchor = anchor

    def _index_at_or_after(self, moment: datetime) -> int:
        return -((self.anchor - moment) // self.step)

    def slots_from(self, start: datetime) -> Iterator[datetime]:
        index = self._index_at_or_after(start)
        while True:
            yield self.anchor + index * self.step
            index += 1

    def lower_bound_before(self, moment: datetime) -> datetime | None:
        return self.anchor + ((moment - self.anchor) // self.step) * self.step


class CronSlots:
    """Wall-clock cron in a zone: cronsim moves slots in a spring-forward gap to the first
    valid instant and runs a fixed time in a repeated fall-back hour once."""

    def __init__(self, expression: str, tz: ZoneInfo) -> None:
        self.expression = expression
        self.tz = tz
        try:
            CronSim(expression, datetime(2026, 1, 1, tzinfo=tz))
        except (CronSimError, ValueError) as error:
            raise DefinitionError(
                f"cron expression {expression!r} is invalid ({error}); write five fields "
                "'minute hour day month weekday' such as '0 * * * *', or an alias like "
                "'@daily' or '@every 5m'."
            ) from None

    def slots_from(self, start: datetime) -> Iterator[datetime]:
        for slot in CronSim(self.expression, (start - _TICK).astimezone(self.tz)):
            yield slot.astimezone(UTC)

    def lower_bound_before(self, moment: datetime) -> datetime | None:
        # Reverse iteration finds the neighbourhood fast; a day of margin keeps the forward
        # (authoritative) walk correct around DST transitions.
        reverse = CronSim(self.expression, (moment + _TICK).astimezone(self.tz), reverse=True)
        previous = next(reverse, None)
        return None if previous is None else previous.astimezone(UTC) - timedelta(days=1)


class RRuleSlots:
    """An RRULE evaluated in naive wall-clock time of its zone, then placed in the zone like
    cron: a slot in a gap moves to the first valid instant, an ambiguous one runs once
    (at its first occurrence)."""

    def __init__(self, text: str, tz: ZoneInfo) -> None:
        self.tz = tz
        try:
            parsed = rrulestr(text, dtstart=datetime(2020, 1, 1), ignoretz=True, forceset=True)
        except (ValueError, TypeError, OverflowError) as error:
            raise DefinitionError(
                f"RRULE {text!r} is invalid ({error}); write it as iCalendar text such as "
                "'DTSTART:20260101T090000\\nRRULE:FREQ=DAILY;BYHOUR=9'."
            ) from None
        assert isinstance(parsed, (rrule, rruleset))
        self.rule = parsed

    def _wall(self, moment: datetime) -> datetime:
        return moment.astimezone(self.tz).replace(tzinfo=None)

    def place(self, wall: datetime) -> datetime:
        """The UTC instant of a wall-clock time in the zone (gap -> first valid instant)."""
        for minutes in range(_MAX_GAP_MINUTES):
            candidate = wall + timedelta(minutes=minutes)
            if minutes:
                candidate = candidate.replace(second=0, microsecond=0)
            aware = candidate.replace(tzinfo=self.tz, fold=0)
            instant = aware.astimezone(UTC)
            if instant.astimezone(self.tz).replace(tzinfo=None) == candidate:
                return instant
        raise DefinitionError(
            f"RRULE slot {wall.isoformat()} never exists in time zone {self.tz.key}; "
            "pick another time of day."
        )

    def slots_from(self, start: datetime) -> Iterator[datetime]:
        # Start a day early in wall time: the zone's offset is not known before placing.
        previous: datetime | None = None
        for wall in self.rule.xafter(self._wall(start) - timedelta(days=1), inc=True):
            slot = self.place(wall)
            if slot < start or slot == previous:
                continue
            previous = slot
            yield slot

    def lower_bound_before(self, moment: datetime) -> datetime | None:
        found = self.rule.before(self._wall(moment) - timedelta(days=1), inc=True)
        return None if found is None else self.place(found) - timedelta(days=1)
