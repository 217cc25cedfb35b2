"""The graph of a run, the grid of a deployment, task durations and the comparison of runs,
on SQLite and PostgreSQL."""

from __future__ import annotations

from legato.core.states import StateType as S

from .conftest import Views
from .views_data import add_run, add_tasks, create_deployment, run_deployment


def test_graph_lists_tasks_in_creation_order_with_edges_and_map_parents(views: Views) -> None:
    run = add_run(views.backend)
    ids = add_tasks(
        views.backend, run,
        [("extract-0", S.COMPLETED, 2.0), ("load-1[0]", S.COMPLETED, 1.0),
         ("load-1[1]", S.FAILED, 0.5), ("report-2", S.RUNNING, 0)],
        edges=[(0, 1), (0, 2), (1, 3), (2, 3)],
    )
    graph = views.get_json(f"/flow-runs/{run}/graph")
    assert [t["id"] for t in graph["tasks"]] == ids
    extract, _, load1, report = graph["tasks"]
    assert (extract["task_key"], extract["name"]) == ("extract-0", "extract")
    assert extract["parent_task_key"] is None and extract["map_index"] is None
    assert (load1["parent_task_key"], load1["map_index"]) == ("load-1", 1)
    assert report["end"] is None and report["attempts"] == 1
    assert sorted(map(tuple, graph["edges"])) == sorted(
        [(ids[0], ids[1]), (ids[0], ids[2]), (ids[1], ids[3]), (ids[2], ids[3])]
    )


def test_graph_of_an_unknown_run_is_a_404(views: Views) -> None:
    response = views.api.get("/api/v1/flow-runs/nope/graph")
    assert response.status_code == 404
    assert "does not exist" in response.json()["detail"]


def test_grid_lines_up_tasks_of_recent_runs_oldest_first(views: Views) -> None:
    deployment_id = create_deployment(views)
    runs = []
    for index in range(3):
        views.clock.advance(60)
        run = run_deployment(views, deployment_id)
        specs = [("a-0", S.COMPLETED, 1.0 + index), ("b-1", S.FAILED, 2.0)]
        if index == 2:
            specs.append(("c-2", S.COMPLETED, 3.0))
        add_tasks(views.backend, run, specs)
        runs.append(run)
    grid = views.get_json(f"/deployments/{deployment_id}/grid", runs=2)
    assert [r["id"] for r in grid["runs"]] == runs[1:]
    assert grid["tasks"] == ["a-0", "b-1", "c-2"]
    assert grid["cells"] == [
        [["COMPLETED", 2.0], ["FAILED", 2.0], None],
        [["COMPLETED", 3.0], ["FAILED", 2.0], ["COMPLETED", 3.0]],
    ]
    durations = views.get_json("/task-durations", deployment_id=deployment_id, task_key="a-0")
    assert durations["tasks"] == [{"task_key": "a-0", "durations": [1.0, 2.0, 3.0]}]


def test_grid_of_an_unknown_deployment_is_a_404(views: Views) -> None:
    assert views.api.get("/api/v1/deployments/nope/grid").status_code == 404


def test_flow_grid_lines_up_runs_of_the_flow_with_or_without_deployment(views: Views) -> None:
    by_hand = add_run(views.backend, flow_name="etl")
    add_tasks(views.backend, by_hand, [("a-0", S.COMPLETED, 1.5)])
    views.clock.advance(60)
    other = add_run(views.backend, flow_name="report")
    add_tasks(views.backend, other, [("r-0", S.COMPLETED, 1.0)])
    deployment_id = create_deployment(views)
    views.clock.advance(60)
    deployed = run_deployment(views, deployment_id)
    add_tasks(views.backend, deployed, [("b-1", S.FAILED, 0.25), ("a-0", S.COMPLETED, 2.0)])
    grid = views.get_json("/flows/etl/grid")
    assert [r["id"] for r in grid["runs"]] == [by_hand, deployed]
    assert grid["tasks"] == ["a-0", "b-1"]
    assert grid["cells"] == [[["COMPLETED", 1.5], None], [["COMPLETED", 2.0], ["FAILED", 0.25]]]
    assert views.get_json("/flows/etl/grid", runs=1)["runs"][0]["id"] == deployed
    missing = views.api.get("/api/v1/flows/nope/grid")
    assert missing.status_code == 404
    assert "flow 'nope' does not exist" in missing.json()["detail"]


def test_compare_lines_up_parameters_and_task_durations(views: Views) -> None:
    first = add_run(views.backend, parameters={"n": 1, "mode": "fast"})
    second = add_run(views.backend, parameters={"n": 2}, state=S.FAILED)
    add_tasks(views.backend, first, [("a-0", S.COMPLETED, 1.0)])
    add_tasks(views.backend, second, [("a-0", S.FAILED, 4.0), ("b-1", S.COMPLETED, 1.0)])
    compared = views.get_json("/flow-runs/compare", ids=[first, second])
    assert [r["state"] for r in compared["runs"]] == ["COMPLETED", "FAILED"]
    assert compared["parameters"] == [
        {"name": "mode", "values": ["fast", None]}, {"name": "n", "values": [1, 2]}
    ]
    assert compared["tasks"] == [
        {"task_key": "a-0", "states": ["COMPLETED", "FAILED"], "durations": [1.0, 4.0]},
        {"task_key": "b-1", "states": [None, "COMPLETED"], "durations": [None, 1.0]},
    ]
    missing = views.api.get("/api/v1/flow-runs/compare", params={"ids": [first, "nope"]})
    assert missing.status_code == 404
