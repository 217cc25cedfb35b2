"""Routes for what a flow run accumulates: write batches from the engine (task runs, state
events, logs, edges) and the reads of task runs, counts, state histories, logs and edges."""

from __future__ import annotations

from typing import Annotated, TypeVar

from fastapi import APIRouter, Header, Query, Response

from legato.schemas.api import (
    IDEMPOTENCY_HEADER,
    MAX_PAGE,
    EdgePage,
    StateEventPage,
    TaskRunCountsModel,
    TaskRunPage,
)
from legato.schemas.fields import MAX_INT
from legato.schemas.records import (
    EdgeModel,
    StateEventRecordModel,
    TaskRunModel,
    WriteBatchModel,
)
from legato.server.params import NOT_FOUND_OR_CONFLICT, BackendDep, FlowRunId, IdempotencyDep, RunId

router = APIRouter(tags=["run data"])

T = TypeVar("T")
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]
Offset = Annotated[int, Query(ge=0, le=MAX_INT)]


def _slice(items: list[T], limit: int, offset: int) -> tuple[list[T], int | None]:
    end = offset + limit
    return items[offset:end], end if end < len(items) else None


@router.post("/write-batches", status_code=204, responses=NOT_FOUND_OR_CONFLICT)
def write_batch(
    body: WriteBatchModel,
    backend: BackendDep,
    idempotency: IdempotencyDep,
    idempotency_key: Annotated[
        str | None,
        Header(alias=IDEMPOTENCY_HEADER, pattern=r"^[A-Za-z0-9_.:-]{1,128}$"),
    ] = None,
) -> Response:
    """Commit task-run snapshots, events, logs and edges in one transaction. Refused task runs
    are left out and reported as a 409 (`refused` maps run id to reason) after the rest is
    committed. A repeated Idempotency-Key replays the first outcome."""
    batch = body.to_record()
    if idempotency_key is None:
        backend.write(batch)
    else:
        idempotency.run(idempotency_key, lambda: backend.write(batch))
    return Response(status_code=204)


@router.get("/flow-runs/{flow_run_id}/task-runs", response_model=TaskRunPage)
def read_task_runs(
    flow_run_id: FlowRunId, backend: BackendDep, limit: Limit = MAX_PAGE, offset: Offset = 0
) -> TaskRunPage:
    """A flow run's task runs, in creation order."""
    records, next_offset = _slice(backend.read_task_runs(flow_run_id), limit, offset)
    return TaskRunPage(
        items=[TaskRunModel.from_record(record) for record in records], next_offset=next_offset
    )


@router.get("/flow-runs/{flow_run_id}/task-run-counts", response_model=TaskRunCountsModel)
def count_task_runs(flow_run_id: FlowRunId, backend: BackendDep) -> TaskRunCountsModel:
    """How many of the flow run's task runs are in each state."""
    return TaskRunCountsModel(counts=backend.count_task_runs(flow_run_id))


@router.get("/runs/{run_id}/state-events", response_model=StateEventPage)
def read_state_events(
    run_id: RunId, backend: BackendDep, limit: Limit = MAX_PAGE, offset: Offset = 0
) -> StateEventPage:
    """The state history of a flow run or a task run, oldest first."""
    records, next_offset = _slice(backend.read_state_events(run_id), limit, offset)
    return StateEventPage(
        items=[StateEventRecordModel.from_stored(record) for record in records],
        next_offset=next_offset,
    )


@router.get("/flow-runs/{flow_run_id}/edges", response_model=EdgePage)
def read_edges(
    flow_run_id: FlowRunId, backend: BackendDep, limit: Limit = MAX_PAGE, offset: Offset = 0
) -> EdgePage:
    """(upstream, downstream) task-run pairs of a flow run."""
    pairs, next_offset = _slice(backend.read_edges(flow_run_id), limit, offset)
    return EdgePage(
        items=[
            EdgeModel(flow_run_id=flow_run_id, upstream_id=up, downstream_id=down)
            for up, down in pairs
        ],
        next_offset=next_offset,
    )
