"""GET /flow-runs as the runs page uses it, on SQLite and PostgreSQL: every filter alone and
combined, newest first, keyset pages that neither skip nor repeat runs, and bad cursors."""

from __future__ import annotations

from datetime import timedelta

from legato.core.states import StateType as S

from .conftest import VIEWS_T0 as T0
from .conftest import Views
from .views_data import add_run, create_deployment, run_deployment


def ids(page: dict[str, object]) -> list[str]:
    return [item["id"] for item in page["items"]]  # type: ignore[attr-defined]


def test_cursor_pages_walk_every_run_once_newest_first(views: Views) -> None:
    made = [add_run(views.backend, created=T0 + timedelta(minutes=i // 2)) for i in range(7)]
    seen: list[str] = []
    page = views.get_json("/flow-runs", limit=3)
    while True:
        seen += ids(page)
        if page["next_cursor"] is None:
            break
        page = views.get_json("/flow-runs", limit=3, cursor=page["next_cursor"])
    # Runs made in the same minute come in id order, descending.
    expected = sorted(made, key=lambda run_id: (made.index(run_id) // 2, run_id), reverse=True)
    assert seen == expected


def test_each_filter_narrows_the_list(views: Views) -> None:
    old = add_run(views.backend, created=T0 - timedelta(days=3), tags=["nightly", "team-a"])
    failed = add_run(views.backend, state=S.FAILED, name="quiet-heron", tags=["team-a"])
    other = add_run(views.backend, flow_name="report", created=T0 + timedelta(hours=1))
    running = add_run(views.backend, state=S.RUNNING, created=T0 + timedelta(hours=2))

    def found(**params: object) -> set[str]:
        return set(ids(views.get_json("/flow-runs", **params)))

    assert found(flow_name="report") == {other}
    assert found(state=["FAILED", "RUNNING"]) == {failed, running}
    assert found(tag="team-a") == {old, failed}
    assert found(tag="nightly") == {old}
    assert found(since=(T0 - timedelta(days=1)).isoformat()) == {failed, other, running}
    assert found(until=T0.isoformat()) == {old}
    assert found(q="heron") == {failed}
    assert found(q="REPO") == {other}
    assert found(q=running) == {running}
    assert found(q="100%_") == set()
    assert found(flow_name="etl", tag="team-a", state="FAILED") == {failed}


def test_deployment_filter_lists_only_its_runs(views: Views) -> None:
    deployment_id = create_deployment(views)
    made = [run_deployment(views, deployment_id) for _ in range(3)]
    add_run(views.backend)
    page = views.get_json("/flow-runs", deployment_id=deployment_id)
    assert set(ids(page)) == set(made)
    assert {item["deployment_id"] for item in page["items"]} == {deployment_id}


def test_offset_paging_still_works(views: Views) -> None:
    made = [add_run(views.backend, created=T0 + timedelta(seconds=i)) for i in range(5)]
    first = views.get_json("/flow-runs", limit=2, offset=1)
    assert ids(first) == made[::-1][1:3] and first["next_offset"] == 3


def test_a_forged_cursor_is_a_422_naming_the_parameter(views: Views) -> None:
    for cursor in ("not-a-cursor", "AAAA", "MjAyNnwx"):
        response = views.api.get("/api/v1/flow-runs", params={"cursor": cursor})
        assert response.status_code == 422, response.text
        problem = response.json()
        assert "cursor" in problem["detail"]
        assert problem["errors"][0]["field"] == "cursor"
