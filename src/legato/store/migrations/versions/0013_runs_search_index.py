"""Substring search over run names from an index: a pg_trgm GIN index on PostgreSQL, an FTS5
trigram table kept in step by triggers on SQLite. Each is skipped where the database lacks
the extension or module; the runs list then scans names as before.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# Spelled out rather than imported from legato.store, as in 0001 (see run_search.py).
_PG_INDEX = "ix_flow_runs_name_trgm"
_FTS = "flow_runs_text"
# The FTS table holds the names by flow_runs' rowid (external content, no copy of the text).
_SQLITE = (
    f"CREATE VIRTUAL TABLE {_FTS} USING fts5(name, content='flow_runs', content_rowid='rowid', "
    "tokenize='trigram')",
    f"INSERT INTO {_FTS}({_FTS}) VALUES ('rebuild')",
    f"CREATE TRIGGER {_FTS}_insert AFTER INSERT ON flow_runs BEGIN "
    f"INSERT INTO {_FTS}(rowid, name) VALUES (new.rowid, new.name); END",
    f"CREATE TRIGGER {_FTS}_delete AFTER DELETE ON flow_runs BEGIN "
    f"INSERT INTO {_FTS}({_FTS}, rowid, name) VALUES ('delete', old.rowid, old.name); END",
    f"CREATE TRIGGER {_FTS}_update AFTER UPDATE OF name ON flow_runs BEGIN "
    f"INSERT INTO {_FTS}({_FTS}, rowid, name) VALUES ('delete', old.rowid, old.name); "
    f"INSERT INTO {_FTS}(rowid, name) VALUES (new.rowid, new.name); END",
)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        available = bind.execute(
            sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
        ).first()
        if available is None:
            return
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(f"CREATE INDEX {_PG_INDEX} ON flow_runs USING gin (name gin_trgm_ops)")
        return
    has_fts5 = bind.execute(
        sa.text("SELECT 1 FROM pragma_compile_options WHERE compile_options = 'ENABLE_FTS5'")
    ).first()
    if has_fts5 is None:
        return
    for statement in _SQLITE:
        op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {_PG_INDEX}")
        return
    for suffix in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS {_FTS}_{suffix}")
    op.execute(f"DROP TABLE IF EXISTS {_FTS}")
