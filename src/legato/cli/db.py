"""`legato db upgrade`: create or migrate the database schema named by LEGATO_DATABASE_URL."""

from __future__ import annotations

import click

from legato.settings import Settings

from .errors import cli_errors


@click.group("db")
def db_group() -> None:
    """Manage the database schema."""


@db_group.command("upgrade")
def upgrade_command() -> None:
    """Apply every pending migration to the configured database."""
    # Imported here so that other commands start without loading SQLAlchemy and Alembic.
    from legato.store.migrate import upgrade

    with cli_errors():
        settings = Settings.from_env()
        # SQLite creates the database file but not the directory it lives in.
        settings.home.mkdir(parents=True, exist_ok=True)
        url = settings.database_url
        upgrade(url)
    click.echo(f"database is up to date: {_redact(url)}")


def _redact(url: str) -> str:
    """Hide a password in a database URL.

    >>> _redact("postgresql+psycopg://u:secret@h/db")
    'postgresql+psycopg://u:***@h/db'
    """
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not sep or not at or ":" not in credentials:
        return url
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"
