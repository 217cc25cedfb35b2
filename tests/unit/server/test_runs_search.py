"""Free-text search of GET /flow-runs over the search index of revision 0013 (pg_trgm on
PostgreSQL, an FTS5 trigram table on SQLite), on both dialects: substrings anywhere in a name,
any case, LIKE wildcards and quotes taken literally, short texts, keyset pages, and the index
kept in step as runs are added and deleted."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from legato.core.states import StateType as S
from legato.store import run_search

from .conftest import VIEWS_T0 as T0
from .conftest import Views
from .views_data import add_run


def found(views: Views, **params: object) -> set[str]:
    page = views.get_json("/flow-runs", **params)
    return {item["id"] for item in page["items"]}


def test_free_text_matches_a_name_anywhere_in_any_case_and_wildcards_literally(
    views: Views,
) -> None:
    heron = add_run(views.backend, name="quiet-heron-17")
    quoted = add_run(views.backend, name='say "hi" now')
    percent = add_run(views.backend, name="load-at-50%-done")
    fifty = add_run(views.backend, name="load-at-500-done")
    underscore = add_run(views.backend, name="a_b-run")
    plain = add_run(views.backend, name="axb-run", state=S.FAILED)

    assert found(views, q="HERON") == {heron}
    assert found(views, q="et-her") == {heron}
    assert found(views, q='"hi"') == {quoted}
    assert found(views, q='say "') == {quoted}
    assert found(views, q="50%") == {percent}
    assert found(views, q="-50") == {percent, fifty}
    assert found(views, q="a_b") == {underscore}
    assert found(views, q="b-run") == {underscore, plain}
    assert found(views, q="b-run", state="FAILED") == {plain}
    # Texts shorter than a trigram are answered by a scan of the names.
    assert found(views, q="17") == {heron}
    assert found(views, q="x") == {plain}
    assert found(views, q="no-such-run") == set()


def test_free_text_pages_by_cursor_without_skipping_or_repeating(views: Views) -> None:
    matching = [add_run(views.backend, name=f"nightly-load-{i}",
                        created=T0 + timedelta(minutes=i)) for i in range(7)]
    add_run(views.backend, name="hourly-sync", created=T0 + timedelta(minutes=3))
    seen: list[str] = []
    page = views.get_json("/flow-runs", q="Y-LOAD", limit=3)
    while True:
        seen += [item["id"] for item in page["items"]]
        if page["next_cursor"] is None:
            break
        page = views.get_json("/flow-runs", q="Y-LOAD", limit=3, cursor=page["next_cursor"])
    assert seen == matching[::-1]


def test_the_index_follows_added_and_deleted_runs(views: Views) -> None:
    keep = add_run(views.backend, name="keep-this-otter")
    gone = add_run(views.backend, name="drop-this-otter")
    assert found(views, q="this-otter") == {keep, gone}
    response = views.api.request("DELETE", f"/api/v1/flow-runs/{gone}")
    assert response.status_code == 204, response.text
    assert found(views, q="this-otter") == {keep}
    assert found(views, q="drop-this") == set()
    later = add_run(views.backend, name="later-otter")
    assert found(views, q="otter") == {keep, later}

    db = views.backend.db
    with db.reading() as conn:
        if conn.dialect.name == "sqlite":
            # FTS5 checks its index against the run names; it raises when they disagree.
            table = run_search.SQLITE_NAME_TABLE
            conn.execute(text(f"INSERT INTO {table}({table}) VALUES ('integrity-check')"))
            plan = conn.execute(text(
                f"EXPLAIN QUERY PLAN SELECT rowid FROM {table} WHERE {table} MATCH '\"otter\"'"
            )).all()
            assert any("VIRTUAL TABLE" in str(row) for row in plan), plan
        else:
            names = conn.execute(text(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'flow_runs'"
            )).scalars().all()
            assert run_search.PG_NAME_INDEX in names


def test_a_common_text_walks_the_names_and_finds_the_same_runs(
    views: Views, monkeypatch: pytest.MonkeyPatch
) -> None:
    # On SQLite, more matches than the bound switch from the index to a walk of the names.
    made = {add_run(views.backend, name=f"common-otter-{i}") for i in range(3)}
    other = add_run(views.backend, name="other-heron")
    assert found(views, q="n-otter") == made
    monkeypatch.setattr(run_search, "SQLITE_INDEX_MAX_MATCHES", 1)
    assert found(views, q="n-otter") == made
    assert found(views, q="OTHER-HER") == {other}
