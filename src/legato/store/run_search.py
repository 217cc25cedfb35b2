"""Free-text search of the runs list: a run matches when its name or its flow's name contains
the text (ignoring case) or its id is the text. Names are looked up in the search index of
revision 0013 (pg_trgm on PostgreSQL, an FTS5 trigram table on SQLite) when there is one."""

from __future__ import annotations

import re

from sqlalchemy import ColumnElement, Connection, literal_column, or_, select, text

from legato.store.tables import flow_runs, flows

# Made by revision 0013; kept out of tables.py because each exists on one dialect only.
PG_NAME_INDEX = "ix_flow_runs_name_trgm"
SQLITE_NAME_TABLE = "flow_runs_text"
SEARCH_OBJECTS = frozenset({PG_NAME_INDEX, SQLITE_NAME_TABLE})
# Trigram indexes answer texts of three characters or more; shorter ones scan the names.
MIN_INDEXED = 3
# Above this many matching names SQLite walks the names instead of reading the matches.
SQLITE_INDEX_MAX_MATCHES = 2000
_ID_LIKE = re.compile(r"^[0-9A-Za-z-]{8,64}$")


def like_pattern(value: str) -> str:
    """A LIKE pattern matching `value` anywhere, its wildcards escaped with a backslash."""
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def contains(conn: Connection, column: ColumnElement[str], value: str) -> ColumnElement[bool]:
    """Case-insensitive substring match: SQLite's LIKE already ignores ASCII case, and skipping
    lower() on every row halves a full scan; PostgreSQL has ILIKE (which pg_trgm answers)."""
    pattern = like_pattern(value)
    if conn.dialect.name == "sqlite":
        return column.like(pattern, escape="\\")
    return column.ilike(pattern, escape="\\")


def _has_sqlite_index(conn: Connection) -> bool:
    # Cached per pooled connection: the schema does not change under a running server.
    info = conn.connection.info
    if "legato_runs_text" not in info:
        found = conn.execute(
            text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :name"),
            {"name": SQLITE_NAME_TABLE},
        ).first()
        info["legato_runs_text"] = found is not None
    return bool(info["legato_runs_text"])


def _name_matches(conn: Connection, value: str) -> ColumnElement[bool]:
    plain = contains(conn, flow_runs.c.name, value)
    if conn.dialect.name != "sqlite" or len(value) < MIN_INDEXED or not _has_sqlite_index(conn):
        return plain
    # A trigram phrase finds every name holding the text; LIKE keeps SQLite's own notion of
    # case (ASCII only) for the few the phrase lets through. SQLite cannot tell how many runs
    # match, so it is asked (counting stops at the bound): a common text is cheaper to find
    # by walking the names newest first, which fills a page after a few hundred rows.
    phrase = '"' + value.replace('"', '""') + '"'
    matches = conn.execute(
        text(f"SELECT count(*) FROM (SELECT 1 FROM {SQLITE_NAME_TABLE} "
             f"WHERE {SQLITE_NAME_TABLE} MATCH :phrase LIMIT :bound)"),
        {"phrase": phrase, "bound": SQLITE_INDEX_MAX_MATCHES + 1},
    ).scalar_one()
    if matches > SQLITE_INDEX_MAX_MATCHES:
        return plain
    indexed = literal_column("flow_runs.rowid").in_(
        select(literal_column("rowid"))
        .select_from(text(SQLITE_NAME_TABLE))
        .where(text(f"{SQLITE_NAME_TABLE} MATCH :phrase").bindparams(phrase=phrase))
    )
    return indexed & plain


def text_matches(conn: Connection, value: str) -> ColumnElement[bool]:
    """The WHERE condition of free text `value` on flow_runs."""
    # Flow names are matched once in the small flows table, not once per run, and become
    # a list of ids the (flow_id, created) index answers.
    flow_ids = list(conn.execute(select(flows.c.id).where(contains(conn, flows.c.name, value)))
                    .scalars())
    arms = [_name_matches(conn, value)]
    if flow_ids:
        arms.append(flow_runs.c.flow_id.in_(flow_ids))
    if _ID_LIKE.match(value):
        arms.append(flow_runs.c.id == value)
    return or_(*arms) if len(arms) > 1 else arms[0]
