"""Tests for legato.store.tables: timestamps are aware UTC on every dialect and sort in time
order on SQLite, where they are stored as text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.dialects import sqlite

from legato.store.bulk import _sqlite_timestamp
from legato.store.database import Database
from legato.store.tables import NaiveDatetimeError, UTCDateTime, cache

MOMENTS = [
    datetime(2026, 1, 1, tzinfo=UTC),
    datetime(2026, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
    datetime(2025, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(2026, 6, 1, 14, 30, tzinfo=timezone(timedelta(hours=-7))),
    datetime(1999, 1, 1, 9, 0, tzinfo=timezone(timedelta(hours=5, minutes=30))),
]


def _store(db: Database, moments: list[datetime]) -> list[datetime]:
    with db.writing() as conn:
        conn.execute(
            cache.insert(),
            [
                {"key": f"k{i}", "serializer": "json", "storage": "inline", "created": m}
                for i, m in enumerate(moments)
            ],
        )
    with db.reading() as conn:
        return list(conn.execute(select(cache.c.created).order_by(cache.c.created)).scalars())


def test_timestamps_round_trip_as_aware_utc_in_time_order(any_db: Database) -> None:
    stored = _store(any_db, MOMENTS)
    assert stored == sorted(MOMENTS)
    assert all(value.tzinfo is UTC for value in stored)


def test_naive_timestamps_are_refused(any_db: Database) -> None:
    with pytest.raises(NaiveDatetimeError, match="timezone-aware"):
        _store(any_db, [datetime(2026, 1, 1)])


def test_bulk_and_core_writes_store_sqlite_timestamps_identically() -> None:
    dialect = sqlite.dialect()
    for moment in MOMENTS:
        assert _sqlite_timestamp(moment) == UTCDateTime().process_bind_param(moment, dialect)


def test_bulk_timestamps_match_core_across_seconds_years_and_the_epoch() -> None:
    # The bulk writer reuses each second's text: moments in one second, across a second
    # boundary, before 1970 and far ahead must all read exactly as isoformat writes them.
    dialect = sqlite.dialect()
    base = datetime(1969, 12, 31, 23, 59, 58, 999998, tzinfo=UTC)
    moments = [base + timedelta(microseconds=step) for step in range(0, 3_000_004, 250_001)]
    moments += [datetime(1900, 2, 28, 23, 59, 59, tzinfo=UTC),
                datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)]
    for moment in moments + moments:
        assert _sqlite_timestamp(moment) == UTCDateTime().process_bind_param(moment, dialect)
