"""Bring a database to the current schema. Checking is cheap (one query, no Alembic import);
Alembic is imported only when an upgrade actually has to run."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, inspect, text

from legato.errors import ConfigError
from legato.store.database import Database, safe_url

# The newest revision in migrations/versions. A test checks it against Alembic's own head,
# so adding a revision without updating this fails loudly instead of skipping upgrades.
HEAD_REVISION = "0015"
MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# Any constant works; it only has to be the same in every Legato process.
_PG_MIGRATION_LOCK = 0x1E6A70


def _read_revision(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


@contextmanager
def _opened(target: str | Database) -> Iterator[Database]:
    if isinstance(target, Database):
        yield target
        return
    db = Database(target)
    try:
        yield db
    finally:
        db.dispose()


def current_revision(target: str | Database) -> str | None:
    """The schema revision a database (URL or open Database) is at; None when empty."""
    with _opened(target) as db, db.reading() as conn:
        return _read_revision(conn)


def needs_upgrade(target: str | Database) -> bool:
    """Whether `upgrade` has work to do; raise ConfigError for a database newer than Legato.

    >>> needs_upgrade("sqlite://")
    True
    """
    with _opened(target) as db:
        return _needs_upgrade(db)


def _needs_upgrade(db: Database) -> bool:
    revision = current_revision(db)
    if revision is None or revision == HEAD_REVISION:
        return revision is None
    if not any((MIGRATIONS_DIR / "versions").glob(f"{revision}_*.py")):
        raise ConfigError(
            f"the database at {safe_url(db.url)} is at schema revision {revision!r}, which this "
            "Legato version does not know; upgrade Legato or point it at another database."
        )
    return True


def upgrade(target: str | Database) -> None:
    """Migrate a database (URL or open Database) to the newest schema; idempotent.

    Safe when several processes start at once: the whole upgrade runs in one transaction
    under the SQLite write lock or a PostgreSQL advisory lock.

    >>> upgrade("sqlite:////tmp/legato-doc.db")
    """
    with _opened(target) as db:
        if _needs_upgrade(db):
            _run_alembic(db)


def _run_alembic(db: Database) -> None:
    # Imported here on purpose: Alembic costs import time that an up-to-date database
    # (every start but the first) never needs.
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with db.writing() as conn:
        if db.dialect == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def alembic_head() -> str:
    """The head revision according to Alembic's scan of migrations/versions (imports Alembic)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    head = ScriptDirectory.from_config(config).get_current_head()
    if head is None:
        raise ConfigError(f"no migrations found in {MIGRATIONS_DIR}; reinstall Legato.")
    return head
