"""Tests for legato.store.bulk: the hot-path statements behave like their SQLAlchemy
equivalents on both dialects, including errors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from legato.errors import Conflict
from legato.store import bulk
from legato.store.database import Database
from legato.store.tables import cache, task_edges

T0 = datetime(2026, 1, 1, tzinfo=UTC)
COLUMNS = ("key", "serializer", "storage", "data", "path", "created", "expires")


def _rows(
    db: Database, keys: list[str], data: bytes | None = b"\x00\xff"
) -> list[tuple[object, ...]]:
    with db.reading() as conn:
        ts = bulk.timestamp_writer(conn)
    return [(k, "json", "inline", data, None, ts(T0), ts(None)) for k in keys]


def _cache(db: Database) -> dict[str, tuple[object, ...]]:
    with db.reading() as conn:
        return {row.key: tuple(row) for row in conn.execute(select(cache))}


def test_insert_rows_stores_every_row_with_its_types(any_db: Database) -> None:
    with any_db.writing() as conn:
        bulk.insert_rows(conn, cache, COLUMNS, _rows(any_db, ["a", "b"]))
    stored = _cache(any_db)
    assert sorted(stored) == ["a", "b"]
    assert stored["a"] == ("a", "json", "inline", b"\x00\xff", None, T0, None)


@pytest.mark.parametrize("count", [1, bulk.PG_ROWS_PER_INSERT, bulk.PG_ROWS_PER_INSERT + 1])
def test_insert_rows_stores_the_same_whether_few_or_many(any_db: Database, count: int) -> None:
    # PostgreSQL takes a few rows in one multi-row INSERT and more with COPY.
    keys = [f"k{i:03d}" for i in range(count)]
    with any_db.writing() as conn:
        bulk.insert_rows(conn, cache, COLUMNS, _rows(any_db, keys, data=None))
    stored = _cache(any_db)
    assert sorted(stored) == keys
    assert {row[1:] for row in stored.values()} == {("json", "inline", None, None, T0, None)}


def test_insert_rows_of_a_duplicate_key_is_a_conflict_and_rolls_back(any_db: Database) -> None:
    with pytest.raises(Conflict), any_db.writing() as conn:
        bulk.insert_rows(conn, cache, COLUMNS, _rows(any_db, ["a"]))
        bulk.insert_rows(conn, cache, COLUMNS, _rows(any_db, ["b", "a"]))
    assert _cache(any_db) == {}


def test_update_rows_changes_only_the_named_columns_of_matching_keys(any_db: Database) -> None:
    with any_db.writing() as conn:
        bulk.insert_rows(conn, cache, COLUMNS, _rows(any_db, ["a", "b", "c"]))
        bulk.update_rows(
            conn, cache, "key", ("storage", "path"), [("store", "p/a", "a"), ("store", None, "c")]
        )
    stored = _cache(any_db)
    assert (stored["a"][2], stored["a"][4], stored["a"][3]) == ("store", "p/a", b"\x00\xff")
    assert (stored["b"][2], stored["c"][2]) == ("inline", "store")


def test_update_rows_twice_in_one_transaction_applies_both(any_db: Database) -> None:
    with any_db.writing() as conn:
        bulk.insert_rows(conn, cache, COLUMNS, _rows(any_db, ["a", "b"]))
        bulk.update_rows(conn, cache, "key", ("path",), [("first", "a")])
        bulk.update_rows(conn, cache, "key", ("path",), [("second", "b")])
    stored = _cache(any_db)
    assert (stored["a"][4], stored["b"][4]) == ("first", "second")


def test_insert_ignoring_duplicates_skips_rows_already_present(any_db: Database) -> None:
    columns = ("flow_run_id", "upstream_id", "downstream_id")
    with any_db.writing() as conn:
        bulk.insert_rows_ignoring_duplicates(conn, task_edges, columns, [("f", "a", "b")])
        bulk.insert_rows_ignoring_duplicates(
            conn, task_edges, columns, [("f", "a", "b"), ("f", "b", "c")]
        )
    with any_db.reading() as conn:
        assert sorted(conn.execute(select(task_edges)).all()) == [("f", "a", "b"), ("f", "b", "c")]


@pytest.mark.parametrize("count", [1, bulk.PG_ROWS_PER_INSERT, bulk.PG_ROWS_PER_INSERT + 1])
def test_insert_returning_new_names_only_the_rows_it_inserted(
    any_db: Database, count: int
) -> None:
    # PostgreSQL inserts a few rows with one INSERT and more through a staging table.
    keys = [f"k{i:03d}" for i in range(count)]
    with any_db.writing() as conn:
        bulk.insert_rows(conn, cache, COLUMNS, _rows(any_db, keys[:1]))
        new = bulk.insert_rows_returning_new(conn, cache, COLUMNS, _rows(any_db, keys), "key")
    assert sorted(new) == keys[1:]
    assert sorted(_cache(any_db)) == keys


@pytest.mark.parametrize("count", [2, bulk.PG_ROWS_PER_INSERT + 1])
def test_insert_ignoring_duplicates_of_many_rows_keeps_the_stored_ones(
    any_db: Database, count: int
) -> None:
    keys = [f"k{i:03d}" for i in range(count)]
    with any_db.writing() as conn:
        bulk.insert_rows(conn, cache, COLUMNS, _rows(any_db, keys[:1], data=b"first"))
        bulk.insert_rows_ignoring_duplicates(conn, cache, COLUMNS, _rows(any_db, keys))
    stored = _cache(any_db)
    assert sorted(stored) == keys
    assert stored[keys[0]][3] == b"first"


def test_membership_is_one_clause_on_postgres_and_chunked_on_sqlite(any_db: Database) -> None:
    values = [f"id-{i}" for i in range(2 * bulk.IN_CHUNK + 1)]
    with any_db.reading() as conn:
        clauses = list(bulk.membership(conn, cache.c.key, values))
        empty = list(bulk.membership(conn, cache.c.key, []))
    assert len(clauses) == (1 if any_db.dialect == "postgresql" else 3)
    assert empty == []


def test_bulk_timestamps_refuse_naive_datetimes(any_db: Database) -> None:
    with any_db.reading() as conn:
        ts = bulk.timestamp_writer(conn)
    with pytest.raises(ValueError, match="naive datetime"):
        ts(datetime(2026, 1, 1))


def test_fetch_tuples_reads_what_sqlalchemy_reads_in_the_same_transaction(
    any_db: Database,
) -> None:
    keys = [f"k{i}" for i in range(1200)]  # more than one SQLite IN chunk
    with any_db.writing() as conn:
        bulk.insert_rows(conn, cache, COLUMNS, _rows(any_db, keys))
        wanted = [*keys[::2], "missing"]
        got: list[tuple[object, ...]] = []
        for where in bulk.membership(conn, cache.c.key, wanted):
            query = select(cache.c.key, cache.c.storage).where(where, cache.c.serializer == "json")
            got += bulk.fetch_tuples(conn, query)
    assert sorted(got) == sorted((key, "inline") for key in keys[::2])
    assert all(type(row) is tuple for row in got)


def test_insert_rows_keeps_nulls_whether_a_column_is_null_in_every_row_or_some(
    any_db: Database,
) -> None:
    # SQLite writes a column that is None in every row of a chunk as a NULL literal.
    with any_db.reading() as conn:
        ts = bulk.timestamp_writer(conn)
    mixed = [("a", "json", "inline", None, "p/a", ts(T0), None),
             ("b", "json", "inline", b"\x01", None, ts(T0), None)]
    with any_db.writing() as conn:
        bulk.insert_rows(conn, cache, COLUMNS, mixed)
    stored = _cache(any_db)
    assert stored["a"] == ("a", "json", "inline", None, "p/a", T0, None)
    assert stored["b"] == ("b", "json", "inline", b"\x01", None, T0, None)
