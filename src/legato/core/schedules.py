"""Schedule definitions (cron, interval, RRULE) and the checks that need no third-party
package: aliases, `@every` intervals, time zones. Evaluating slots lives in legato.scheduling."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from legato.errors import DefinitionError


class ScheduleKind(StrEnum):
    """How a schedule describes its slots."""

    CRON = "cron"
    INTERVAL = "interval"
    RRULE = "rrule"


class CatchupPolicy(StrEnum):
    """What the scheduler does with slots missed while it was down or the deployment paused.

    LATEST runs only the most recent missed slot; ALL runs every missed slot within the
    deployment's catch-up window, at most its catch-up count (the newest are kept)."""

    LATEST = "latest"
    ALL = "all"


CRON_ALIASES: dict[str, str] = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_EVERY = re.compile(r"@every\s+(\d+)\s*([smhd])", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# Interval slots count from this wall-clock instant in the schedule's zone unless told.
DEFAULT_ANCHOR = datetime(2020, 1, 1)


def zone(name: str) -> ZoneInfo:
    """The ZoneInfo called `name`; DefinitionError naming it when it does not exist.

    >>> zone("Europe/Berlin").key
    'Europe/Berlin'
    """
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise DefinitionError(
            f"schedule time zone {name!r} is unknown; use an IANA name such as "
            "'UTC', 'Europe/Berlin' or 'America/New_York'."
        ) from None


def parse_every(text: str) -> int:
    """Seconds of an `@every 90m` alias (units s, m, h, d).

    >>> parse_every("@every 90m")
    5400
    """
    match = _EVERY.fullmatch(text.strip())
    if match is None:
        raise DefinitionError(
            f"schedule {text!r} is not a valid @every alias; write a number and a unit, "
            "such as '@every 5m', '@every 90m' or '@every 2h'."
        )
    seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]
    if seconds <= 0:
        raise DefinitionError(f"schedule {text!r} has a zero interval; use a positive one.")
    return seconds


@dataclass(frozen=True, slots=True)
class ScheduleSpec:
    """One schedule of a deployment, as people write it.

    `expression` is the cron text (aliases expanded) or the RRULE text; interval schedules
    have `interval_seconds` and an optional `anchor` (an aware datetime) instead.

    >>> ScheduleSpec.cron("@every 90m").interval_seconds
    5400
    """

    kind: ScheduleKind
    expression: str | None = None
    timezone: str = "UTC"
    interval_seconds: int | None = None
    anchor: datetime | None = None
    active: bool = True

    @classmethod
    def cron(cls, expression: str, timezone: str = "UTC", *, active: bool = True) -> ScheduleSpec:
        """A cron schedule; `@hourly`-style aliases expand, `@every 5m` becomes an interval."""
        text = " ".join(expression.split())
        if text.lower().startswith("@every"):
            return cls.interval(parse_every(text), timezone=timezone, active=active)
        text = CRON_ALIASES.get(text.lower(), text)
        return check_schedule(cls(ScheduleKind.CRON, text, timezone, active=active))

    @classmethod
    def interval(
        cls,
        seconds: int,
        *,
        anchor: datetime | None = None,
        timezone: str = "UTC",
        active: bool = True,
    ) -> ScheduleSpec:
        """Every `seconds` of elapsed time, counted from `anchor` (default 2020-01-01 00:00
        in `timezone`)."""
        spec = cls(ScheduleKind.INTERVAL, None, timezone, seconds, anchor, active)
        return check_schedule(spec)

    @classmethod
    def rrule(cls, text: str, timezone: str = "UTC", *, active: bool = True) -> ScheduleSpec:
        """An iCalendar RRULE (optionally with a DTSTART line), in wall-clock `timezone`."""
        return check_schedule(cls(ScheduleKind.RRULE, text.strip(), timezone, active=active))

    def describe(self) -> str:
        """A short human label: "cron '0 * * * *' (Europe/Berlin)"."""
        if self.kind is ScheduleKind.INTERVAL:
            return f"every {self.interval_seconds} s ({self.timezone})"
        return f"{self.kind.value} {self.expression!r} ({self.timezone})"

    def interval_anchor(self) -> datetime:
        """The instant interval slots count from, as an aware UTC datetime."""
        if self.anchor is not None:
            return self.anchor.astimezone(UTC)
        return DEFAULT_ANCHOR.replace(tzinfo=zone(self.timezone)).astimezone(UTC)


def check_schedule(spec: ScheduleSpec) -> ScheduleSpec:
    """Check what needs no cron or RRULE parser; return the spec or raise DefinitionError."""
    zone(spec.timezone)
    if spec.kind is ScheduleKind.INTERVAL:
        seconds = spec.interval_seconds
        if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds <= 0:
            raise DefinitionError(
                f"interval schedule got interval_seconds={seconds!r}; "
                "use a whole number of seconds greater than 0."
            )
        if spec.anchor is not None and spec.anchor.tzinfo is None:
            raise DefinitionError(
                f"interval schedule anchor {spec.anchor.isoformat()} has no time zone; "
                "pass an aware datetime such as datetime(2026, 1, 1, tzinfo=UTC)."
            )
    elif not spec.expression:
        raise DefinitionError(
            f"{spec.kind.value} schedule has an empty expression; "
            f"write the {spec.kind.value} text, e.g. "
            + ("'0 * * * *'." if spec.kind is ScheduleKind.CRON else "'FREQ=DAILY;BYHOUR=9'.")
        )
    return spec
