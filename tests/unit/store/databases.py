"""Database fixtures shared by the store and orchestration unit tests. PostgreSQL fixtures
skip when the server is down, except under CI=true, where they fail."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from legato.store import migrate, scratch
from legato.store.database import Database


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    """The URL scratch databases are created through; skip or fail if it does not answer."""
    admin_url = scratch.admin_url_from_env()
    reason = scratch.unreachable_reason(admin_url)
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} PostgreSQL tests must run in CI.")
        pytest.skip(reason)
    return admin_url


@pytest.fixture(scope="session")
def postgres_session_url(postgres_admin_url: str) -> Iterator[str]:
    url = scratch.create_scratch_database(postgres_admin_url)
    try:
        migrate.upgrade(url)
        yield url
    finally:
        scratch.drop_scratch_database(url, postgres_admin_url)


@pytest.fixture
def postgres_url(postgres_session_url: str) -> str:
    """A migrated PostgreSQL database shared by the session, emptied for this test."""
    db = Database(postgres_session_url)
    try:
        scratch.clear_tables(db)
    finally:
        db.dispose()
    return postgres_session_url


@pytest.fixture
def empty_postgres_url(postgres_admin_url: str) -> Iterator[str]:
    """A brand-new PostgreSQL database with no schema, dropped after the test."""
    url = scratch.create_scratch_database(postgres_admin_url)
    try:
        yield url
    finally:
        scratch.drop_scratch_database(url, postgres_admin_url)


@pytest.fixture
def empty_sqlite_url(tmp_path: Path) -> str:
    """A SQLite URL whose file does not exist yet."""
    return f"sqlite:///{tmp_path / 'legato.db'}"


@pytest.fixture
def sqlite_url(empty_sqlite_url: str) -> str:
    """A migrated SQLite database in a temp file."""
    migrate.upgrade(empty_sqlite_url)
    return empty_sqlite_url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_db(request: pytest.FixtureRequest) -> Iterator[Database]:
    """A migrated Database, once on SQLite and once on PostgreSQL."""
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    db = Database(url)
    yield db
    db.dispose()
