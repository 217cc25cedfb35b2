"""Routes for task-run concurrency slots, used by the engine of flows that run against the
server: the tags that have a limit, take (waiting up to a bound), renew and free a task
run's slots."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from legato.schemas.fields import ID_PATTERN, MAX_ID
from legato.schemas.limits import (
    LimitedTagsModel,
    TaskSlotBody,
    TaskSlotGrantModel,
    TaskSlotRenewBody,
    TaskSlotRenewModel,
)
from legato.server.params import BackendDep

router = APIRouter(tags=["limits"])
TaskRunId = Annotated[str, Path(pattern=ID_PATTERN, max_length=MAX_ID,
                                description="A task run id.")]


@router.get("/task-slots/limited-tags", response_model=LimitedTagsModel)
def limited_tags(backend: BackendDep) -> LimitedTagsModel:
    """Every tag with a concurrency limit; task runs carrying none of them need no slot."""
    return LimitedTagsModel(tags=sorted(backend.limited_tags()))


@router.post("/task-slots", response_model=TaskSlotGrantModel)
def acquire_task_slots(body: TaskSlotBody, backend: BackendDep) -> TaskSlotGrantModel:
    """Take a slot of every limited tag for the task run, all or none; with `wait_seconds`,
    a full limit waits that long for a slot to be freed. Asking again for slots already held
    is granted and extends them."""
    grant = backend.acquire_task_slots(
        body.task_run_id, body.flow_run_id, body.tags, lease_seconds=body.lease_seconds,
        wait_seconds=body.wait_seconds,
    )
    return TaskSlotGrantModel(acquired=grant.acquired, blocked_by=list(grant.blocked_by))


@router.post("/task-slots/renew", response_model=TaskSlotRenewModel)
def renew_task_slots(body: TaskSlotRenewBody, backend: BackendDep) -> TaskSlotRenewModel:
    """Extend the slots of task runs still RUNNING."""
    renewed = backend.renew_task_slots(body.task_run_ids, lease_seconds=body.lease_seconds)
    return TaskSlotRenewModel(renewed=renewed)


@router.delete("/task-slots/{task_run_id}", status_code=204)
def release_task_slots(task_run_id: TaskRunId, backend: BackendDep) -> Response:
    """Free the task run's slots (nothing to do when it holds none)."""
    backend.release_task_slots(task_run_id)
    return Response(status_code=204)
