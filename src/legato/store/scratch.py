"""Throwaway PostgreSQL databases with unique names, for test sessions and benchmarks that
must not touch each other's data."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

from legato.errors import BackendUnavailable, ConfigError
from legato.store.database import Database, parse_url, safe_url
from legato.store.tables import metadata

DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
ADMIN_URL_VARIABLE = "LEGATO_TEST_POSTGRES_URL"


def admin_url_from_env(env: Mapping[str, str] | None = None) -> str:
    """The PostgreSQL URL test sessions create databases through ($LEGATO_TEST_POSTGRES_URL)."""
    env = os.environ if env is None else env
    return env.get(ADMIN_URL_VARIABLE) or DEFAULT_ADMIN_URL


def unreachable_reason(admin_url: str) -> str | None:
    """Why PostgreSQL at `admin_url` cannot be used, or None when it answers."""
    engine = _admin_engine(admin_url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as error:
        first_line = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        return (
            f"PostgreSQL at {safe_url(admin_url)} is unreachable ({first_line}); start it or "
            f"set {ADMIN_URL_VARIABLE}."
        )
    finally:
        engine.dispose()
    return None


def clear_tables(db: Database) -> None:
    """Delete every row of every Legato table (between tests sharing one database)."""
    with db.writing() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())


def _admin_engine(admin_url: str) -> Engine:
    parsed = parse_url(admin_url)
    if parsed.get_backend_name() != "postgresql":
        raise ConfigError(
            f"{safe_url(parsed)!r} is not a PostgreSQL URL; pass a postgresql+psycopg:// URL "
            "of a database you may CREATE DATABASE from (usually .../postgres)."
        )
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    # CREATE/DROP DATABASE cannot run inside a transaction block.
    return create_engine(parsed, isolation_level="AUTOCOMMIT", poolclass=NullPool)


def create_scratch_database(admin_url: str = DEFAULT_ADMIN_URL, prefix: str = "legato_test") -> str:
    """Create an empty database named `<prefix>_<random hex>`; return its URL.

    >>> url = create_scratch_database()  # postgresql+psycopg://postgres@.../legato_test_3f9a...
    """
    if not prefix.replace("_", "").isalnum() or not prefix[:1].isalpha():
        raise ConfigError(
            f"database name prefix {prefix!r} is unsafe; use letters, digits and underscores, "
            "starting with a letter."
        )
    name = f"{prefix}_{secrets.token_hex(6)}"
    engine = _admin_engine(admin_url)
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:
        raise BackendUnavailable(
            f"cannot create database {name!r} via {safe_url(admin_url)} ({error}); check that "
            "PostgreSQL is running and the user may create databases."
        ) from error
    finally:
        engine.dispose()
    url = parse_url(admin_url).set(database=name)
    return url.render_as_string(hide_password=False)


def drop_scratch_database(url: str, admin_url: str = DEFAULT_ADMIN_URL) -> None:
    """Drop a database made by `create_scratch_database`, disconnecting its users first."""
    name = parse_url(url).database or ""
    if not name.replace("_", "").isalnum():
        raise ConfigError(f"refusing to drop database {name!r}; its name is not a plain word.")
    engine = _admin_engine(admin_url)
    try:
        with engine.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()
