"""Fixtures for end-to-end tests: a `legato` command with a fresh home, on SQLite or on a
throwaway PostgreSQL database."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from legato.store import scratch

from .cli import Legato, describe


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A new, empty PostgreSQL database, dropped afterwards ($LEGATO_TEST_POSTGRES_URL names
    the server); skipped when PostgreSQL is down, except under CI=true."""
    admin_url = scratch.admin_url_from_env()
    reason = scratch.unreachable_reason(admin_url)
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} PostgreSQL tests must run in CI.")
        pytest.skip(reason)
    url = scratch.create_scratch_database(admin_url, prefix="legato_e2e")
    try:
        yield url
    finally:
        scratch.drop_scratch_database(url, admin_url)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def legato(request: pytest.FixtureRequest, tmp_path: Path) -> Legato:
    """`legato` with a fresh LEGATO_HOME and a migrated database."""
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    command = Legato(tmp_path / "home", url)
    command.home.mkdir()
    upgraded = command("db", "upgrade")
    assert upgraded.returncode == 0, describe(upgraded)
    return command


@pytest.fixture
def sqlite_legato(tmp_path: Path) -> Legato:
    """`legato` on the default SQLite database in a fresh LEGATO_HOME, not migrated first."""
    command = Legato(tmp_path / "home")
    command.home.mkdir()
    return command
