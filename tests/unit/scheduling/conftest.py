"""Fixtures for scheduling tests: migrated databases and a deployment factory."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from legato.store.database import Database
from tests.unit.store.databases import (
    any_db,
    empty_postgres_url,
    empty_sqlite_url,
    postgres_admin_url,
    postgres_session_url,
    postgres_url,
    sqlite_url,
)

__all__ = [
    "any_db",
    "empty_postgres_url",
    "empty_sqlite_url",
    "postgres_admin_url",
    "postgres_session_url",
    "postgres_url",
    "sqlite_url",
]


@pytest.fixture
def db(sqlite_url: str) -> Iterator[Database]:
    """A migrated SQLite database."""
    database = Database(sqlite_url)
    yield database
    database.dispose()
