"""Fixtures for the break-it suite: a cluster (a `legato server` process with its monitor and
`legato worker` processes) on SQLite or on a throwaway PostgreSQL database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import postgres_url  # noqa: F401  (fixture)

from .cluster import Cluster


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'legato.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def cluster(tmp_path: Path, database_url: str) -> Iterator[Cluster]:
    started = Cluster(tmp_path, database_url)
    try:
        started.start_server()
        yield started
    finally:
        started.stop_all()
