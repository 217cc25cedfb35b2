"""Read views of the web UI over task runs: a run's graph, a deployment's grid of recent runs
x tasks, task durations across runs and the comparison of runs. Big answers are encoded
straight from the store's dicts (orjson), skipping per-item model validation."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Path, Query, Response

from legato.errors import NotFound, ParameterError
from legato.orchestration.service import flow_run_not_found
from legato.schemas.fields import ID_PATTERN, MAX_ID, MAX_KEY, MAX_NAME
from legato.schemas.views import (
    ArtifactPage,
    CompareModel,
    GraphModel,
    GridModel,
    TaskDurationsModel,
)
from legato.server.params import NOT_FOUND, DatabaseDep, FlowRunId
from legato.store import artifacts as stored_artifacts
from legato.store import deployments as stored_deployments
from legato.store import run_views, runs
from legato.store.database import Connection

router = APIRouter(tags=["views"])

MAX_GRID_RUNS = 1000
MAX_COMPARED = 20
MAX_ARTIFACTS = 500
DeploymentId = Annotated[str, Query(pattern=ID_PATTERN, max_length=MAX_ID)]


def _json(document: dict[str, Any]) -> Response:
    return Response(orjson.dumps(document), media_type="application/json")


def _check_deployment(conn: Connection, deployment_id: str) -> None:
    if not stored_deployments.read_deployments(conn, [deployment_id]):
        raise NotFound(
            f"deployment {deployment_id!r} does not exist; check the id (legato deployments ls)."
        )


@router.get("/flow-runs/{flow_run_id}/graph", response_model=GraphModel, responses=NOT_FOUND)
def read_graph(flow_run_id: FlowRunId, db: DatabaseDep) -> Response:
    """Every task run of a flow run as a compact node, and the edges between them, in one
    answer (creation order; mapped task runs name their `.map()` call in parent_task_key)."""
    with db.reading() as conn:
        if not runs.flow_run_exists(conn, flow_run_id):
            raise flow_run_not_found(flow_run_id)
        return _json(run_views.run_graph(conn, flow_run_id))


@router.get("/deployments/{deployment_id}/grid", response_model=GridModel, responses=NOT_FOUND)
def read_grid(
    deployment_id: Annotated[str, Path(pattern=ID_PATTERN, max_length=MAX_ID)],
    db: DatabaseDep,
    runs_: Annotated[int, Query(alias="runs", ge=1, le=MAX_GRID_RUNS)] = 100,
) -> Response:
    """The deployment's newest `runs` runs (oldest first) x the task keys they ran."""
    with db.reading() as conn:
        _check_deployment(conn, deployment_id)
        columns = run_views.recent_runs(
            conn, deployment_id=deployment_id, flow_name=None, limit=runs_
        )
        return _json(run_views.grid(conn, columns))


@router.get("/flows/{flow_name}/grid", response_model=GridModel, responses=NOT_FOUND)
def read_flow_grid(
    flow_name: Annotated[str, Path(min_length=1, max_length=MAX_NAME)],
    db: DatabaseDep,
    runs_: Annotated[int, Query(alias="runs", ge=1, le=MAX_GRID_RUNS)] = 100,
) -> Response:
    """The flow's newest `runs` runs (any deployment or none; oldest first) x their task keys."""
    with db.reading() as conn:
        if not run_views.flow_exists(conn, flow_name):
            raise NotFound(
                f"flow {flow_name!r} does not exist; check the name (GET /api/v1/flows)."
            )
        columns = run_views.recent_runs(conn, deployment_id=None, flow_name=flow_name, limit=runs_)
        return _json(run_views.grid(conn, columns))


@router.get("/task-durations", response_model=TaskDurationsModel)
def read_task_durations(
    db: DatabaseDep,
    deployment_id: DeploymentId | None = None,
    flow_name: Annotated[str | None, Query(min_length=1, max_length=MAX_NAME)] = None,
    task_key: Annotated[str | None, Query(min_length=1, max_length=MAX_KEY)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_GRID_RUNS)] = 100,
) -> Response:
    """Each task's duration across the newest `limit` runs of a deployment or a flow."""
    if deployment_id is None and flow_name is None:
        raise ParameterError(
            "task durations need deployment_id or flow_name; pass one of them.",
            [("deployment_id", "required without flow_name")],
        )
    with db.reading() as conn:
        columns = run_views.recent_runs(
            conn, deployment_id=deployment_id, flow_name=flow_name, limit=limit
        )
        return _json(run_views.task_durations(conn, columns, task_key))


@router.get("/flow-runs/{flow_run_id}/artifacts", response_model=ArtifactPage,
            responses=NOT_FOUND)
def read_artifacts(
    flow_run_id: FlowRunId, db: DatabaseDep,
    limit: Annotated[int, Query(ge=1, le=MAX_ARTIFACTS)] = MAX_ARTIFACTS,
) -> Response:
    """The tables, markdown and links a flow run recorded, oldest first."""
    with db.reading() as conn:
        if not runs.flow_run_exists(conn, flow_run_id):
            raise flow_run_not_found(flow_run_id)
        return _json({"items": stored_artifacts.read_artifacts(conn, flow_run_id, limit=limit)})


@router.get("/artifacts", response_model=ArtifactPage)
def read_artifacts_by_key(
    db: DatabaseDep,
    key: Annotated[str, Query(min_length=1, max_length=MAX_NAME)],
    limit: Annotated[int, Query(ge=1, le=MAX_ARTIFACTS)] = 50,
) -> Response:
    """The versions of an artifact key across runs, newest first."""
    with db.reading() as conn:
        return _json({"items": stored_artifacts.read_by_key(conn, key, limit=limit)})


@router.get("/flow-runs/compare", response_model=CompareModel, responses=NOT_FOUND)
def compare_runs(
    db: DatabaseDep,
    ids: Annotated[
        list[Annotated[str, Query(pattern=ID_PATTERN, max_length=MAX_ID)]],
        Query(min_length=2, max_length=MAX_COMPARED),
    ],
) -> Response:
    """Parameters, results and each task's state and duration of two or more runs."""
    with db.reading() as conn:
        columns = run_views.runs_by_id(conn, ids)
        missing = [run_id for run_id in ids if run_id not in {c.id for c in columns}]
        if missing:
            raise flow_run_not_found(missing[0])
        return _json(run_views.compare(conn, columns))
