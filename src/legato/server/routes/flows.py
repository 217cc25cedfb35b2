"""Routes for flow versions and flow runs: register and read definitions; create, read, list,
transition, cancel and retry runs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import AwareDatetime

from legato.core.cancel import cancel_flow_run as cancel_run
from legato.core.states import StateType
from legato.orchestration import run_actions
from legato.schemas.actions import RetryBody
from legato.schemas.api import (
    DEFAULT_PAGE,
    MAX_PAGE,
    FlowRunPage,
    FlowVersionIdModel,
    RegisterFlowVersionBody,
    SetStateBody,
)
from legato.schemas.fields import ID_PATTERN, MAX_ID, MAX_INT, MAX_NAME
from legato.schemas.records import FlowRunModel, FlowVersionModel, NewFlowRunModel
from legato.schemas.views import decode_cursor, encode_cursor
from legato.server.params import (
    NOT_FOUND,
    NOT_FOUND_OR_CONFLICT,
    BackendDep,
    FlowRunId,
    FlowVersionId,
)
from legato.server.routes.run_actions import service
from legato.store import run_lists
from legato.store.database import Database
from legato.store.run_lists import RunFilter

router = APIRouter(tags=["flows"])


@router.post("/flow-versions", response_model=FlowVersionIdModel)
def register_flow_version(body: RegisterFlowVersionBody, backend: BackendDep) -> FlowVersionIdModel:
    """Store a flow definition; registering the same flow and hash again returns the same id."""
    version_id = backend.register_flow_version(
        body.flow_name, body.source, body.source_hash, body.entrypoint
    )
    return FlowVersionIdModel(id=version_id)


@router.get(
    "/flow-versions/{flow_version_id}", response_model=FlowVersionModel, responses=NOT_FOUND
)
def read_flow_version(flow_version_id: FlowVersionId, backend: BackendDep) -> FlowVersionModel:
    """A stored flow definition."""
    return FlowVersionModel.from_record(backend.read_flow_version(flow_version_id))


@router.post(
    "/flow-runs",
    status_code=201,
    response_model=FlowRunModel,
    responses=NOT_FOUND_OR_CONFLICT,
)
def create_flow_run(body: NewFlowRunModel, backend: BackendDep) -> FlowRunModel:
    """Create a flow run with the caller's id (409 if the id exists) and its first state event."""
    return FlowRunModel.from_record(backend.create_flow_run(body.to_record()))


@router.get("/flow-runs", response_model=FlowRunPage)
def list_flow_runs(
    request: Request,
    backend: BackendDep,
    flow_name: Annotated[str | None, Query(min_length=1, max_length=MAX_NAME)] = None,
    deployment_id: Annotated[str | None, Query(pattern=ID_PATTERN, max_length=MAX_ID)] = None,
    state: Annotated[list[StateType] | None, Query(max_length=len(StateType))] = None,
    tag: Annotated[str | None, Query(min_length=1, max_length=MAX_NAME)] = None,
    since: Annotated[AwareDatetime | None, Query(description="created at or after")] = None,
    until: Annotated[AwareDatetime | None, Query(description="created before")] = None,
    q: Annotated[
        str | None, Query(min_length=1, max_length=MAX_NAME, description="name, flow or id")
    ] = None,
    parent_flow_run_id: Annotated[str | None, Query(pattern=ID_PATTERN, max_length=MAX_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    offset: Annotated[int, Query(ge=0, le=MAX_INT)] = 0,
) -> FlowRunPage:
    """Flow runs matching every filter, newest first; `state` may be given several times.
    Page with `cursor` (the previous page's `next_cursor`); `offset` is kept for old clients."""
    db: Database | None = request.app.state.db
    if db is None:
        # An app over a Backend without a database of its own: the protocol's filters only.
        records = backend.list_flow_runs(
            flow_name=flow_name, states=state, parent_flow_run_id=parent_flow_run_id,
            limit=limit, offset=offset,
        )
        return FlowRunPage(
            items=[FlowRunModel.from_record(record) for record in records],
            next_offset=offset + len(records) if len(records) == limit else None,
        )
    where = RunFilter(
        flow_name=flow_name, deployment_id=deployment_id, states=tuple(state or ()), tag=tag,
        since=since, until=until, text=q, parent_flow_run_id=parent_flow_run_id,
    )
    after = decode_cursor(cursor) if cursor is not None else None
    with db.reading() as conn:
        records, last = run_lists.list_runs(conn, where, limit=limit, cursor=after, offset=offset)
    return FlowRunPage(
        items=[FlowRunModel.from_record(record) for record in records],
        next_offset=offset + len(records) if last is not None and after is None else None,
        next_cursor=encode_cursor(*last) if last is not None else None,
    )


@router.get("/flow-runs/{flow_run_id}", response_model=FlowRunModel, responses=NOT_FOUND)
def read_flow_run(flow_run_id: FlowRunId, backend: BackendDep) -> FlowRunModel:
    """One flow run."""
    return FlowRunModel.from_record(backend.read_flow_run(flow_run_id))


@router.post(
    "/flow-runs/{flow_run_id}/state",
    response_model=FlowRunModel,
    responses=NOT_FOUND_OR_CONFLICT,
)
def set_flow_run_state(
    flow_run_id: FlowRunId, body: SetStateBody, backend: BackendDep
) -> FlowRunModel:
    """Propose a new state; 409 if the state machine refuses it (unless forced)."""
    record = backend.set_flow_run_state(
        flow_run_id,
        body.state,
        message=body.message,
        result=body.result.to_record() if body.result is not None else None,
        force=body.force,
        epoch=body.epoch,
    )
    return FlowRunModel.from_record(record)


@router.post(
    "/flow-runs/{flow_run_id}/retry",
    response_model=FlowRunModel,
    responses=NOT_FOUND_OR_CONFLICT,
)
def retry_flow_run(
    flow_run_id: FlowRunId, request: Request, backend: BackendDep, body: RetryBody | None = None
) -> FlowRunModel:
    """Move a FAILED, CRASHED or CANCELLED run back to SCHEDULED (409 for other states); its
    completed task runs are reused. With `from_task_key`, any finished run is rescheduled
    and that task and everything downstream of it re-run."""
    if body is None or body.from_task_key is None:
        return FlowRunModel.from_record(backend.retry_flow_run(flow_run_id))
    record = run_actions.retry_from_task(service(request), flow_run_id, body.from_task_key)
    return FlowRunModel.from_record(record)


@router.post(
    "/flow-runs/{flow_run_id}/cancel",
    response_model=FlowRunModel,
    responses=NOT_FOUND_OR_CONFLICT,
)
def cancel_flow_run(flow_run_id: FlowRunId, backend: BackendDep) -> FlowRunModel:
    """Cancel a run: CANCELLED if it has not started, else CANCELLING until its worker stops
    it; 409 for a run that already finished."""
    return FlowRunModel.from_record(cancel_run(backend, flow_run_id))
