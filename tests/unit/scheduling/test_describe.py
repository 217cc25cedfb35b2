"""Schedules in words and their next slots."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from legato.core.schedules import ScheduleSpec
from legato.scheduling.describe import describe_schedule, next_runs


@pytest.mark.parametrize(
    ("cron", "words"),
    [
        ("15 * * * *", "every hour at :15"),
        ("0 2 * * *", "every day at 02:00"),
        ("*/15 * * * *", "every 15 minutes"),
        ("30 9 * * 1-5", "every Monday to Friday at 09:30"),
        ("0 0 1 * *", "on day 1 of every month at 00:00"),
        ("0 */2 * * *", "every 2 hours at :00"),
        ("@yearly", "on January 1 at 00:00"),
        ("@every 90m", "every 90 minutes"),
        ("1-5 * * * *", "cron '1-5 * * * *'"),
    ],
)
def test_common_crons_read_as_sentences(cron: str, words: str) -> None:
    assert describe_schedule(ScheduleSpec.cron(cron, "Europe/Berlin")) == f"{words}, Europe/Berlin"


def test_next_runs_follow_the_wall_clock_of_the_zone() -> None:
    spec = ScheduleSpec.cron("0 9 * * *", "Europe/Berlin")
    first, second = next_runs(spec, datetime(2026, 3, 28, 6, tzinfo=UTC), count=2)
    # Clocks go forward on 29 March: 09:00 Berlin is 08:00 UTC, then 07:00 UTC.
    assert (first.hour, second.hour) == (8, 7)
