"""Tests for legato.store.migrate: the Alembic chain builds exactly tables.py's schema on both
dialects, upgrades are idempotent and concurrent-safe, and an up-to-date database is checked
without importing Alembic."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from legato.errors import ConfigError
from legato.store import migrate
from legato.store.database import Database
from legato.store.run_search import SEARCH_OBJECTS
from legato.store.tables import metadata


def test_head_constant_matches_the_migration_scripts() -> None:
    assert migrate.alembic_head() == migrate.HEAD_REVISION


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest) -> str:
    name = "empty_sqlite_url" if request.param == "sqlite" else "empty_postgres_url"
    url: str = request.getfixturevalue(name)
    return url


def test_empty_database_needs_an_upgrade_and_then_does_not(empty_url: str) -> None:
    db = Database(empty_url)
    try:
        assert migrate.current_revision(db) is None
        assert migrate.needs_upgrade(db)
        migrate.upgrade(db)
        assert migrate.current_revision(db) == migrate.HEAD_REVISION
        assert not migrate.needs_upgrade(db)
        migrate.upgrade(db)
        assert migrate.current_revision(db) == migrate.HEAD_REVISION
    finally:
        db.dispose()


def _not_search_index(name: str | None, _kind: str, _parents: object) -> bool:
    # The runs search index of revision 0013 exists on one dialect each (and FTS5 adds its
    # own shadow tables), so tables.py does not describe it; run_search names it.
    return not any((name or "").startswith(prefix) for prefix in SEARCH_OBJECTS)


def test_migrations_build_exactly_the_schema_in_tables_py(empty_url: str) -> None:
    migrate.upgrade(empty_url)
    db = Database(empty_url)
    try:
        with db.reading() as conn:
            opts = {"compare_type": True, "include_name": _not_search_index}
            context = MigrationContext.configure(conn, opts=opts)
            assert compare_metadata(context, metadata) == []
    finally:
        db.dispose()


def test_concurrent_upgrades_of_one_database_all_succeed(empty_url: str) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def upgrade() -> None:
        try:
            barrier.wait()
            migrate.upgrade(empty_url)  # each call opens its own engine, like a process
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=upgrade) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    db = Database(empty_url)
    try:
        with db.reading() as conn:
            versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars()
            assert list(versions) == [migrate.HEAD_REVISION]
    finally:
        db.dispose()


def test_a_database_from_a_newer_legato_is_refused(sqlite_url: str) -> None:
    db = Database(sqlite_url)
    try:
        with db.writing() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
        with pytest.raises(ConfigError, match=r"'9999'.*upgrade Legato"):
            migrate.needs_upgrade(db)
    finally:
        db.dispose()


_PROBE = """
import sys
from legato.orchestration.local import create_local_backend
from legato.settings import Settings
create_local_backend(Settings.from_env({{"LEGATO_HOME": {home!r}}})).close()
print("alembic" in sys.modules)
"""


def _imports_alembic(home: Path) -> bool:
    src = Path(__file__).resolve().parents[3] / "src"
    result = subprocess.run(
        [sys.executable, "-c", _PROBE.format(home=str(home))],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(src), "PATH": ""},
    )
    return result.stdout.strip() == "True"


def test_alembic_is_imported_only_when_an_upgrade_is_needed(tmp_path: Path) -> None:
    assert _imports_alembic(tmp_path) is True  # first start: the schema is created
    assert _imports_alembic(tmp_path) is False  # every later start: one cheap query
