"""Fixtures for integration tests: migrated databases on a temp SQLite file and on a
throwaway PostgreSQL database (one per test session, emptied between tests). They are the
store tests' fixtures, shared from one module."""

from __future__ import annotations

from tests.unit.store.databases import (  # noqa: F401  (fixtures)
    empty_sqlite_url,
    postgres_admin_url,
    postgres_session_url,
    postgres_url,
    sqlite_url,
)
