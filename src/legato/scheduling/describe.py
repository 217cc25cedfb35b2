"""Schedules in words for people ("every hour at :15, Europe/Berlin") and their next slots,
for the UI's deployment pages. Common cron shapes get a sentence; anything else is quoted."""

from __future__ import annotations

from datetime import datetime
from itertools import islice

from legato.core.schedules import ScheduleKind, ScheduleSpec
from legato.scheduling.slots import compile_schedule

DAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")


def _plural(count: int, unit: str) -> str:
    return f"{unit}" if count == 1 else f"{count} {unit}s"


def _interval(seconds: int) -> str:
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds % size == 0:
            return f"every {_plural(seconds // size, unit)}"
    return f"every {_plural(seconds, 'second')}"


def _days(field: str) -> str | None:
    """Day-of-week field in words, or None when it is not a plain list or range."""
    names = []
    for part in field.split(","):
        if "-" in part:
            first, _, last = part.partition("-")
            if not (first.isdigit() and last.isdigit()):
                return None
            names.append(f"{DAYS[int(first) % 7]} to {DAYS[int(last) % 7]}")
        elif part.isdigit():
            names.append(DAYS[int(part) % 7])
        else:
            return None
    return ", ".join(names)


def _cron(expression: str) -> str | None:
    fields = expression.split()
    if len(fields) != 5:
        return None
    minute, hour, dom, month, dow = fields
    if minute.startswith("*/") and hour == dom == month == dow == "*":
        return f"every {_plural(int(minute[2:]), 'minute')}" if minute[2:].isdigit() else None
    if not minute.isdigit():
        return "every minute" if fields == ["*"] * 5 else None
    at_minute = f":{int(minute):02}"
    if hour == "*":
        when = f"every hour at {at_minute}"
    elif hour.startswith("*/") and hour[2:].isdigit():
        when = f"every {_plural(int(hour[2:]), 'hour')} at {at_minute}"
    elif hour.isdigit():
        when = f"at {int(hour):02}{at_minute}"
    else:
        return None
    if month != "*" and not month.isdigit():
        return None
    if dom == "*" and dow == "*":
        days = "every day " if hour.isdigit() else ""
    elif dom.isdigit() and dow == "*":
        days = f"on day {int(dom)} of every month "
    elif dom == "*" and _days(dow) is not None:
        days = f"every {_days(dow)} "
    else:
        return None
    if month.isdigit() and 1 <= int(month) <= 12:
        name = MONTHS[int(month) - 1]
        days = f"on {name} {int(dom)} " if dom.isdigit() else f"{days}in {name} "
    return f"{days}{when}".strip()


def describe_schedule(spec: ScheduleSpec) -> str:
    """The schedule in words with its time zone.

    >>> describe_schedule(ScheduleSpec.cron("15 * * * *", "Europe/Berlin"))
    'every hour at :15, Europe/Berlin'
    """
    if spec.kind is ScheduleKind.INTERVAL:
        assert spec.interval_seconds is not None
        return f"{_interval(spec.interval_seconds)}, {spec.timezone}"
    if spec.kind is ScheduleKind.CRON:
        words = _cron(spec.expression or "")
        if words is not None:
            return f"{words}, {spec.timezone}"
        return f"cron '{spec.expression}', {spec.timezone}"
    return f"RRULE {spec.expression}, {spec.timezone}"


def next_runs(spec: ScheduleSpec, now: datetime, count: int = 5) -> list[datetime]:
    """The schedule's next `count` slots at or after `now`."""
    return list(islice(compile_schedule(spec).slots_from(now), count))
