"""Routes for pausing and resuming flow runs: the engine's pause and expiry requests, a
person's resume with input, and a run's pause points (the UI builds its input form from
the pending one's JSON schema)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from legato.core.pauses import MAX_KEY
from legato.errors import NotFound
from legato.schemas.pauses import ExpirePauseBody, PauseBody, ResumeBody, RunInputModel
from legato.schemas.records import FlowRunModel
from legato.server.params import NOT_FOUND, NOT_FOUND_OR_CONFLICT, BackendDep, FlowRunId

router = APIRouter(tags=["flows"])
PauseKey = Annotated[str, Path(min_length=1, max_length=MAX_KEY)]


@router.post("/flow-runs/{flow_run_id}/pause", response_model=FlowRunModel,
             responses=NOT_FOUND_OR_CONFLICT)
def pause_flow_run(flow_run_id: FlowRunId, body: PauseBody, backend: BackendDep) -> FlowRunModel:
    """Move a RUNNING run to PAUSED at a pause point (sent by the run's engine)."""
    record = backend.pause_flow_run(flow_run_id, body.to_request(), epoch=body.epoch)
    return FlowRunModel.from_record(record)


@router.post("/flow-runs/{flow_run_id}/resume", response_model=FlowRunModel,
             responses=NOT_FOUND_OR_CONFLICT)
def resume_flow_run(flow_run_id: FlowRunId, body: ResumeBody, backend: BackendDep) -> FlowRunModel:
    """Resume a PAUSED run, giving the input its pause point asks for (422 with every bad
    field when it does not match the schema; 409 when the run is not paused)."""
    return FlowRunModel.from_record(
        backend.resume_flow_run(flow_run_id, body.input, key=body.key))


@router.post("/flow-runs/{flow_run_id}/pause/expire", response_model=RunInputModel,
             responses=NOT_FOUND_OR_CONFLICT)
def expire_pause(flow_run_id: FlowRunId, body: ExpirePauseBody,
                 backend: BackendDep) -> RunInputModel:
    """Give up on an unanswered pause point whose deadline passed (sent by the run's engine)."""
    return RunInputModel.from_record(
        backend.expire_pause(flow_run_id, body.key, epoch=body.epoch))


@router.get("/flow-runs/{flow_run_id}/input-request", response_model=RunInputModel,
            responses=NOT_FOUND)
def read_input_request(flow_run_id: FlowRunId, backend: BackendDep) -> RunInputModel:
    """The pause point a run waits at now, with the JSON schema of the input it wants."""
    found = backend.read_run_input(flow_run_id)
    if found is None:
        raise NotFound(f"flow run {flow_run_id} is not waiting for input; nothing to resume.")
    return RunInputModel.from_record(found)


@router.get("/flow-runs/{flow_run_id}/inputs/{key}", response_model=RunInputModel,
            responses=NOT_FOUND)
def read_run_input(flow_run_id: FlowRunId, key: PauseKey, backend: BackendDep) -> RunInputModel:
    """One pause point of a run by key, with its input once resumed."""
    found = backend.read_run_input(flow_run_id, key)
    if found is None:
        raise NotFound(f"flow run {flow_run_id} has no pause point {key!r}.")
    return RunInputModel.from_record(found)
