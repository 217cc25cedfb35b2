"""Tests for legato.store.scratch: throwaway PostgreSQL databases for test sessions."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from legato.errors import ConfigError
from legato.store import scratch
from legato.store.database import Database, parse_url


@pytest.mark.postgres
def test_scratch_database_is_created_empty_and_dropped_despite_open_connections(
    postgres_admin_url: str,
) -> None:
    url = scratch.create_scratch_database(postgres_admin_url, prefix="legato_scratch")
    name = parse_url(url).database or ""
    assert name.startswith("legato_scratch_")
    db = Database(url)
    with db.reading() as conn:
        assert conn.execute(text("SELECT current_database()")).scalar() == name
    idle = db.read_engine.raw_connection()  # an open session DROP DATABASE must not wait for
    scratch.drop_scratch_database(url, postgres_admin_url)
    idle.invalidate()
    db.dispose()
    admin = Database(postgres_admin_url)
    try:
        with admin.reading() as conn:
            query = text("SELECT count(*) FROM pg_database WHERE datname = :n")
            assert conn.execute(query, {"n": name}).scalar() == 0
    finally:
        admin.dispose()


def test_scratch_database_names_must_be_plain_words() -> None:
    with pytest.raises(ConfigError, match="unsafe"):
        scratch.create_scratch_database(prefix='x"; DROP DATABASE postgres; --')
    with pytest.raises(ConfigError, match="refusing to drop"):
        scratch.drop_scratch_database('postgresql+psycopg://u@h/"evil"')


def test_unreachable_server_is_reported_with_the_variable_to_set() -> None:
    reason = scratch.unreachable_reason("postgresql+psycopg://postgres@127.0.0.1:1/postgres")
    assert reason is not None and scratch.ADMIN_URL_VARIABLE in reason


def test_admin_url_comes_from_the_environment_with_a_local_default() -> None:
    assert scratch.admin_url_from_env({}) == scratch.DEFAULT_ADMIN_URL
    custom = {scratch.ADMIN_URL_VARIABLE: "postgresql+psycopg://me@db/postgres"}
    assert scratch.admin_url_from_env(custom) == "postgresql+psycopg://me@db/postgres"
