"""Fixtures for store tests: migrated and empty databases on SQLite and PostgreSQL."""

from __future__ import annotations

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
