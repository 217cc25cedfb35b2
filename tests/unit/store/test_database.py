"""Tests for legato.store.database: SQLite settings and the single writer, and the error
boundary that turns driver errors into Legato errors."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

import psycopg.errors
import pytest
from sqlalchemy import exc, text

from legato.errors import BackendUnavailable, ConfigError, Conflict
from legato.store import migrate
from legato.store.database import (
    Database,
    ensure_sqlite_directory,
    safe_url,
    sqlite_path,
)
from legato.store.tables import flows

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _pragmas(conn: object) -> tuple[object, ...]:
    return tuple(
        conn.exec_driver_sql(f"PRAGMA {name}").scalar()  # type: ignore[attr-defined]
        for name in ("journal_mode", "synchronous", "busy_timeout", "foreign_keys")
    )


def test_sqlite_connections_use_wal_normal_sync_busy_timeout_and_foreign_keys(
    sqlite_url: str,
) -> None:
    db = Database(sqlite_url)
    try:
        with db.writing() as conn:
            assert _pragmas(conn) == ("wal", 1, 30000, 1)
        with db.reading() as conn:
            assert _pragmas(conn) == ("wal", 1, 30000, 1)
    finally:
        db.dispose()


def test_sqlite_write_transaction_takes_the_write_lock_up_front(sqlite_url: str) -> None:
    db = Database(sqlite_url)
    path = sqlite_path(sqlite_url)
    assert path is not None
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        # No statement has run yet, yet another writer is already shut out.
        with db.writing(), pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    finally:
        other.close()
        db.dispose()


def test_sqlite_writers_in_many_threads_never_lose_an_update(sqlite_url: str) -> None:
    db = Database(sqlite_url)
    with db.writing() as conn:
        conn.exec_driver_sql("CREATE TABLE counter (n INTEGER NOT NULL)")
        conn.exec_driver_sql("INSERT INTO counter VALUES (0)")
    errors: list[BaseException] = []

    def bump() -> None:
        try:
            for _ in range(25):
                with db.writing() as conn:
                    n = conn.exec_driver_sql("SELECT n FROM counter").scalar_one()
                    conn.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=bump) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with db.reading() as conn:
        assert conn.exec_driver_sql("SELECT n FROM counter").scalar_one() == 200
    db.dispose()
    assert errors == []


def test_reads_see_committed_writes_from_the_writer(sqlite_url: str) -> None:
    db = Database(sqlite_url)
    try:
        with db.writing() as conn:
            conn.execute(flows.insert(), {"id": "f" * 36, "name": "etl", "created": T0})
        with db.reading() as conn:
            assert conn.execute(flows.select()).one().name == "etl"
    finally:
        db.dispose()


def test_in_memory_sqlite_shares_one_database_between_reads_and_writes() -> None:
    db = Database("sqlite://")
    try:
        migrate.upgrade(db)
        with db.writing() as conn:
            conn.execute(flows.insert(), {"id": "f" * 36, "name": "mem", "created": T0})
        with db.reading() as conn:
            assert conn.execute(flows.select()).one().name == "mem"
    finally:
        db.dispose()


def test_unreachable_postgres_is_backend_unavailable_without_the_password() -> None:
    db = Database("postgresql+psycopg://legato:s3cret@127.0.0.1:1/legato")
    try:
        with (
            pytest.raises(BackendUnavailable, match="cannot reach the database") as info,
            db.reading() as conn,
        ):
            conn.exec_driver_sql("SELECT 1")
        assert "s3cret" not in str(info.value)
        assert "127.0.0.1:1" in str(info.value)
    finally:
        db.dispose()


def test_a_database_without_the_schema_asks_for_an_upgrade(empty_sqlite_url: str) -> None:
    db = Database(empty_sqlite_url)
    try:
        with pytest.raises(ConfigError, match="legato db upgrade"), db.reading() as conn:
            conn.execute(flows.select())
    finally:
        db.dispose()


@pytest.mark.postgres
def test_a_postgres_database_without_the_schema_asks_for_an_upgrade(
    empty_postgres_url: str,
) -> None:
    db = Database(empty_postgres_url)
    try:
        with pytest.raises(ConfigError, match="legato db upgrade"), db.reading() as conn:
            conn.execute(flows.select())
    finally:
        db.dispose()


def test_constraint_violation_is_a_conflict(any_db: Database) -> None:
    row = {"id": "f" * 36, "name": "etl", "created": T0}
    with any_db.writing() as conn:
        conn.execute(flows.insert(), row)
    with pytest.raises(Conflict, match="collides with a stored row"), any_db.writing() as conn:
        conn.execute(flows.insert(), {**row, "id": "g" * 36})


def test_locked_sqlite_database_is_backend_unavailable(sqlite_url: str) -> None:
    db = Database(sqlite_url)
    locked = exc.OperationalError(
        "BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked")
    )
    with pytest.raises(BackendUnavailable, match="stayed locked"), db.translate_errors():
        raise locked
    db.dispose()


def test_other_driver_errors_pass_through_unchanged(sqlite_url: str) -> None:
    db = Database(sqlite_url)
    try:
        with pytest.raises(exc.OperationalError, match="syntax error"), db.reading() as conn:
            conn.exec_driver_sql("SELEC 1")
    finally:
        db.dispose()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "not a valid URL"),
        ("mysql://root@localhost/legato", "uses 'mysql'"),
    ],
)
def test_bad_database_urls_are_config_errors(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Database(url)


def test_ensure_sqlite_directory_creates_missing_parents(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "legato.db"
    ensure_sqlite_directory(f"sqlite:///{target}")
    assert target.parent.is_dir()
    assert not target.exists()


def test_only_file_backed_sqlite_urls_have_a_path() -> None:
    assert sqlite_path("sqlite:////tmp/x/legato.db") == Path("/tmp/x/legato.db")
    assert sqlite_path("sqlite://") is None
    assert sqlite_path("sqlite:///:memory:") is None
    assert sqlite_path("postgresql+psycopg://u@h/db") is None


def test_safe_url_hides_the_password() -> None:
    assert safe_url("postgresql+psycopg://u:pw@h/db") == "postgresql+psycopg://u:***@h/db"


def test_sqlite_file_that_cannot_be_opened_is_backend_unavailable(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'missing-dir' / 'legato.db'}")
    try:
        with pytest.raises(BackendUnavailable, match="unable to open"), db.reading() as conn:
            conn.exec_driver_sql("SELECT 1")
    finally:
        db.dispose()


def test_databases_on_one_sqlite_file_share_the_process_write_lock(sqlite_url: str) -> None:
    first, second = Database(sqlite_url), Database(sqlite_url.replace("legato.db", "./legato.db"))
    lock = second._write_lock
    assert isinstance(lock, type(threading.Lock()))
    try:
        with first.writing():
            assert lock.locked()  # a writer on `second` queues here, not in busy_timeout
        assert not lock.locked()
    finally:
        first.dispose()
        second.dispose()


def test_postgres_deadlock_is_a_retryable_backend_unavailable() -> None:
    db = Database("postgresql+psycopg://u@127.0.0.1/legato")
    deadlock = exc.OperationalError(
        "UPDATE", {}, psycopg.errors.DeadlockDetected("deadlock detected")
    )
    with pytest.raises(BackendUnavailable, match="aborted the transaction"), db.translate_errors():
        raise deadlock
    db.dispose()
