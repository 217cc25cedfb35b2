"""Fixtures for end-to-end tests: a `legato` command with a fresh home, on SQLite or on a
throwaway PostgreSQL database."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from .cli import Legato, describe

POSTGRES_URL = os.environ.get(
    "LEGATO_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/legato_test"
)


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A new, empty PostgreSQL database, dropped afterwards."""
    psycopg = pytest.importorskip("psycopg")
    base, _, _ = POSTGRES_URL.rpartition("/")
    name = f"legato_e2e_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(_libpq(f"{base}/postgres"), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL is not reachable: {exc}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"{base}/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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
