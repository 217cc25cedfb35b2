"""Bulk statements for the engine's hot path, below SQLAlchemy's per-row parameter handling.

Callers pass plain tuples whose timestamps went through `timestamp_writer`. SQLite gets one
driver-level executemany; PostgreSQL gets COPY for plain inserts and a single statement over
unnest()-ed arrays for updates and insert-or-ignore. Errors surface as SQLAlchemy DBAPIError,
so `Database.translate_errors` still sees them."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from itertools import chain, repeat
from operator import is_not, itemgetter
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Select,
    String,
    Table,
    any_,
    bindparam,
    exc,
)
from sqlalchemy.dialects import postgresql

from legato.store.tables import NaiveDatetimeError

Row = tuple[Any, ...]
# Below SQLite's oldest variable limit (999).
IN_CHUNK = 900
TimestampWriter = Callable[[datetime | None], Any]
# The exact str of a str or of a str-enum member (a StateType). sqlite3 binds an exact str,
# int or float directly, but sends every other value (subclasses, bool, None) through its
# adapter lookup first, several times slower per parameter; the write path hands it exact
# types wherever it can.
as_text: Callable[[str], str] = str.__str__


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# "YYYY-MM-DD HH:MM:SS" by (days, seconds) since the epoch: the timestamps of one batch
# share a few seconds, and formatting only the microseconds is several times cheaper than
# isoformat, which is a few per cent of a task run's whole cost on the hot path.
_SECOND_TEXTS: dict[tuple[int, int], str] = {}
_SECOND_TEXTS_MAX = 4096


def _sqlite_timestamp(value: datetime | None) -> str | None:
    # Must match UTCDateTime's SQLite format exactly: stored text is compared as text.
    if value is None:
        return None
    if value.tzinfo is not UTC:
        if value.tzinfo is None:
            raise NaiveDatetimeError(value)
        value = value.astimezone(UTC)
    since = value - _EPOCH  # exact: both are UTC
    key = (since.days, since.seconds)
    prefix = _SECOND_TEXTS.get(key)
    if prefix is None:
        if len(_SECOND_TEXTS) >= _SECOND_TEXTS_MAX:
            _SECOND_TEXTS.clear()
        prefix = _SECOND_TEXTS[key] = value.replace(microsecond=0, tzinfo=None).isoformat(" ")
    return f"{prefix}.{value.microsecond:06d}+00:00"


def _pg_timestamp(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise NaiveDatetimeError(value)
    return value


class TimestampMemo(dict[Any, Any]):
    """SQLite text of each datetime one write has converted, keyed by the datetime itself.

    The engine reuses one datetime object for a transition's event and its row's columns,
    so a task run's seven timestamps are at most three conversions; a hit is a plain
    dict lookup in C (no Python call), which matters at seven lookups per task run."""

    __slots__ = ()

    def __missing__(self, value: datetime | None) -> str | None:
        text = self[value] = _sqlite_timestamp(value)
        return text


def timestamp_writer(conn: Connection, memo: TimestampMemo | None = None) -> TimestampWriter:
    """The function that turns an aware datetime into this dialect's bulk parameter.

    With `memo` (owned by one write), SQLite conversions are cached: equal instants have
    the same UTC text, so equal datetimes can share an entry."""
    if conn.dialect.name == "postgresql":
        return _pg_timestamp
    if memo is None:
        return _sqlite_timestamp
    return memo.__getitem__


def membership(
    conn: Connection, column: Column[str], values: Sequence[str]
) -> Iterator[ColumnElement[bool]]:
    """WHERE clauses that together select rows whose `column` is one of `values`.

    PostgreSQL gets one `= ANY(array)` (a single parameter however many values); SQLite
    gets IN lists of at most IN_CHUNK values, one query each."""
    if not values:
        return
    if conn.dialect.name == "postgresql":
        array = bindparam(None, list(values), type_=postgresql.ARRAY(String()))
        yield column == any_(array)
        return
    for start in range(0, len(values), IN_CHUNK):
        yield column.in_(values[start : start + IN_CHUNK])


def fetch_tuples(conn: Connection, statement: Select[Any]) -> list[Row]:
    """Every row of `statement` as a plain tuple, fetched on the driver's cursor in the
    caller's transaction. Skips SQLAlchemy's per-row result handling (a third to two thirds
    of the cost of reading 50,000 short rows), so only for columns that need no result
    processing: text, numbers, booleans, not timestamps or JSON."""
    compiled = statement.compile(conn, compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params()
    args: Any = (
        [params[name] for name in compiled.positiontup or ()]
        if compiled.positional else params
    )
    sql = str(compiled)
    driver = conn.connection.driver_connection
    assert driver is not None, "connection has no driver connection"
    cursor = driver.cursor()
    try:
        cursor.execute(sql, args)
        return list(cursor.fetchall())
    except conn.dialect.loaded_dbapi.Error as error:
        raise exc.DBAPIError.instance(
            sql, None, error, conn.dialect.loaded_dbapi.Error, dialect=conn.dialect
        ) from error
    finally:
        cursor.close()


def _quoted(columns: Sequence[str]) -> str:
    return ", ".join(f'"{name}"' for name in columns)


def insert_rows(
    conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[Row]
) -> None:
    """INSERT every row (tuples in `columns` order) in one round of driver calls."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        if len(rows) <= PG_ROWS_PER_INSERT:
            _pg_multi_insert(conn, table.name, columns, rows)
            return
        # COPY is several times faster than pipelined INSERTs.
        _pg_copy(conn, table.name, columns, rows)
        return
    _sqlite_multi_insert(conn, f'INSERT INTO "{table.name}" ({_quoted(columns)}) VALUES ',
                         len(columns), rows, "")


# Rows per multi-row INSERT on SQLite: one statement step per chunk instead of per row is
# faster and, because sqlite3 releases the GIL around each step, stops the writer thread
# from queueing for the GIL behind busy engine threads once per row.
SQLITE_ROWS_PER_INSERT = 200
SQLITE_MAX_VARIABLES = 32_000
_NONES = repeat(None)


def _sqlite_multi_insert(conn: Connection, head: str, width: int, rows: Sequence[Row],
                         tail: str) -> list[Any]:
    """Run the chunked INSERTs; with a RETURNING tail, the first returned column of each
    row (else an empty list)."""
    per_statement = max(1, min(SQLITE_ROWS_PER_INSERT, SQLITE_MAX_VARIABLES // width))
    every = "(" + ", ".join("?" * width) + ")"
    returned: list[Any] = []
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        for start in range(0, len(rows), per_statement):
            part = rows[start : start + per_statement]
            one, values = _sqlite_values(part, width, every)
            cursor.execute(head + ", ".join([one] * len(part)) + tail, values)
            if "RETURNING" in tail:
                returned.extend(row[0] for row in cursor.fetchall())
    except conn.dialect.loaded_dbapi.Error as error:
        raise exc.DBAPIError.instance(
            head, None, error, conn.dialect.loaded_dbapi.Error, dialect=conn.dialect
        ) from error
    finally:
        cursor.close()
    return returned


def _sqlite_values(part: Sequence[Row], width: int, every: str) -> tuple[str, list[Any]]:
    """One row's VALUES tuple and the flat parameters of `part`. Python 3.11's sqlite3 sends
    every None parameter through its adapter lookup, which fails an attribute lookup and
    formats an error message each time (several per task run on the hot path); a column
    that is None in every row of the chunk is written as a NULL literal instead. The checks
    run in C and stop at the first value that is not None."""
    nulls = {i for i in range(width) if not any(map(is_not, map(itemgetter(i), part), _NONES))}
    if not nulls:
        return every, list(chain.from_iterable(part))
    keep = [i for i in range(width) if i not in nulls]
    one = "(" + ", ".join("NULL" if i in nulls else "?" for i in range(width)) + ")"
    if not keep:
        return one, []
    if len(keep) == 1:
        return one, [row[keep[0]] for row in part]
    return one, list(chain.from_iterable(map(itemgetter(*keep), part)))


def insert_rows_ignoring_duplicates(
    conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[Row]
) -> None:
    """INSERT every row, silently skipping rows that collide with a unique key."""
    if not rows:
        return
    names = _quoted(columns)
    if conn.dialect.name == "postgresql":
        if len(rows) <= PG_ROWS_PER_INSERT:
            _pg_multi_insert(conn, table.name, columns, rows, " ON CONFLICT DO NOTHING")
            return
        stage = _pg_stage(conn, table, columns, rows)
        conn.exec_driver_sql(
            f'INSERT INTO "{table.name}" ({names}) SELECT {names} FROM "{stage}" '
            "ON CONFLICT DO NOTHING"
        )
        return
    _sqlite_multi_insert(conn, f'INSERT INTO "{table.name}" ({names}) VALUES ', len(columns),
                         rows, " ON CONFLICT DO NOTHING")


def insert_rows_returning_new(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Row],
    returning: str,
) -> list[Any]:
    """INSERT every row, skipping rows that collide with a unique key; return the
    `returning` column of the rows actually inserted (one statement per chunk on SQLite,
    COPY into a staging table and one INSERT ... SELECT on PostgreSQL)."""
    if not rows:
        return []
    names = _quoted(columns)
    if conn.dialect.name == "postgresql":
        tail = f' ON CONFLICT DO NOTHING RETURNING "{returning}"'
        if len(rows) <= PG_ROWS_PER_INSERT:
            return _pg_multi_insert(conn, table.name, columns, rows, tail)
        stage = _pg_stage(conn, table, columns, rows)
        result = conn.exec_driver_sql(
            f'INSERT INTO "{table.name}" ({names}) SELECT {names} FROM "{stage}"{tail}'
        )
        return [row[0] for row in result]
    return _sqlite_multi_insert(conn, f'INSERT INTO "{table.name}" ({names}) VALUES ',
                                len(columns), rows,
                                f' ON CONFLICT DO NOTHING RETURNING "{returning}"')


def update_rows(
    conn: Connection, table: Table, key: str, columns: Sequence[str], rows: Sequence[Row]
) -> None:
    """UPDATE `columns` of the row whose `key` is the last element of each tuple."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        stage = _pg_stage(conn, table, [*columns, key], rows)
        assignments = ", ".join(f'"{name}" = v."{name}"' for name in columns)
        conn.exec_driver_sql(
            f'UPDATE "{table.name}" SET {assignments} FROM "{stage}" AS v '
            f'WHERE "{table.name}"."{key}" = v."{key}"'
        )
        return
    assignments = ", ".join(f'"{name}" = ?' for name in columns)
    sql = f'UPDATE "{table.name}" SET {assignments} WHERE "{key}" = ?'
    conn.exec_driver_sql(sql, list(rows))


def _pg_stage(conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[Row]) -> str:
    # COPY into a session-local staging table, then one set-based statement: much faster
    # than executemany or unnest() over arrays, whose dumping runs in Python. The table
    # empties itself at commit, and is created in the same transaction that uses it, so
    # it also works behind a transaction-pooling proxy.
    stage = f"legato_stage_{table.name}"
    conn.exec_driver_sql(
        f'CREATE TEMP TABLE IF NOT EXISTS "{stage}" ON COMMIT DELETE ROWS AS '
        f'SELECT {_quoted(columns)} FROM "{table.name}" WITH NO DATA'
    )
    conn.exec_driver_sql(f'DELETE FROM "{stage}"')
    _pg_copy(conn, stage, columns, rows)
    return stage


# Up to this many rows, one multi-row INSERT beats COPY on PostgreSQL: COPY waits for the
# server twice (its start, then its end) where an INSERT waits once, and the few rows of a
# run's state change (its event, its log lines) are the common case.
PG_ROWS_PER_INSERT = 32


def _pg_multi_insert(conn: Connection, table: str, columns: Sequence[str],
                     rows: Sequence[Row], tail: str = "") -> list[Any]:
    """One INSERT of `rows`; with a RETURNING `tail`, the first returned column of each
    inserted row (else an empty list)."""
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    sql = (f'INSERT INTO "{table}" ({_quoted(columns)}) VALUES '
           + ", ".join([one] * len(rows)) + tail)
    driver = conn.connection.driver_connection
    assert driver is not None, "PostgreSQL connection has no driver connection"
    try:
        with driver.cursor() as cursor:
            cursor.execute(sql, [value for row in rows for value in row])
            return [row[0] for row in cursor.fetchall()] if "RETURNING" in tail else []
    except conn.dialect.loaded_dbapi.Error as error:
        raise exc.DBAPIError.instance(
            sql, None, error, conn.dialect.loaded_dbapi.Error, dialect=conn.dialect
        ) from error


def _pg_copy(conn: Connection, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
    # COPY runs on the same driver connection, so it is part of the caller's transaction.
    driver = conn.connection.driver_connection
    assert driver is not None, "PostgreSQL connection has no driver connection"
    sql = f'COPY "{table}" ({_quoted(columns)}) FROM STDIN'
    try:
        with driver.cursor() as cursor, cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
    except conn.dialect.loaded_dbapi.Error as error:
        raise exc.DBAPIError.instance(
            sql, None, error, conn.dialect.loaded_dbapi.Error, dialect=conn.dialect
        ) from error
