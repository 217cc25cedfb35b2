"""Fixtures for integration tests: migrated databases on a temp SQLite file and on a
throwaway PostgreSQL database (one per test session, emptied between tests)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from legato.store import migrate, scratch
from legato.store.database import Database


def postgres_admin_url() -> str:
    """The admin URL, or skip (fail when CI=true) if PostgreSQL does not answer."""
    admin_url = scratch.admin_url_from_env()
    reason = scratch.unreachable_reason(admin_url)
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} PostgreSQL tests must run in CI.")
        pytest.skip(reason)
    return admin_url


@pytest.fixture(scope="session")
def postgres_session_url() -> Iterator[str]:
    """A migrated PostgreSQL database with a unique name, dropped at the end of the session."""
    admin_url = postgres_admin_url()
    url = scratch.create_scratch_database(admin_url)
    try:
        migrate.upgrade(url)
        yield url
    finally:
        scratch.drop_scratch_database(url, admin_url)


@pytest.fixture
def postgres_url(postgres_session_url: str) -> str:
    """The session's PostgreSQL database, emptied for this test."""
    db = Database(postgres_session_url)
    try:
        scratch.clear_tables(db)
    finally:
        db.dispose()
    return postgres_session_url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A migrated SQLite database in a fresh temp file."""
    url = f"sqlite:///{tmp_path / 'legato.db'}"
    migrate.upgrade(url)
    return url
