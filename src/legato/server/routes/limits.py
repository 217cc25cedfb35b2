"""Routes for work queues (list, create, read, change: priority, concurrency limit, pause)
and concurrency limits by tag (list with their slots, set, read, delete). Served from the
server's database, like deployments."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from legato.core.limits import WorkQueueRecord
from legato.orchestration import limits as door
from legato.schemas.fields import MAX_NAME
from legato.schemas.limits import (
    ConcurrencyLimitBody,
    ConcurrencyLimitList,
    ConcurrencyLimitModel,
    WorkQueueCreateBody,
    WorkQueueList,
    WorkQueueModel,
    WorkQueueUpdateBody,
)
from legato.server.params import CONFLICT, NOT_FOUND
from legato.server.routes.deployments import StoreDep
from legato.store import overview

router = APIRouter(tags=["limits"])
QueueName = Annotated[str, Path(min_length=1, max_length=MAX_NAME, description="A work queue.")]
Tag = Annotated[str, Path(min_length=1, max_length=MAX_NAME,
                          description='A tag, or "*" for the limit on every flow run.')]


@router.get("/work-queues", response_model=WorkQueueList)
def list_work_queues(
    store: StoreDep,
    implicit: Annotated[bool, Query(description="also queues deployments use that were "
                                                "never stored")] = False,
) -> WorkQueueList:
    """Stored work queues, highest priority first, each with its SCHEDULED runs due now
    (`pending_runs`) and later. A queue never stored has priority 0, no limit and is not
    paused; with `implicit=true` those deployments use are listed too (`stored: false`)."""
    now = store.now()
    stored = door.list_work_queues(store.db)
    with store.db.reading() as conn:
        backlog = overview.queue_backlog(conn, now)
    items = [WorkQueueModel.from_record(q, backlog=backlog.get(q.name, (0, 0))) for q in stored]
    if implicit:
        known = {q.name for q in stored}
        items += [
            WorkQueueModel.from_record(WorkQueueRecord(name, 0, None, False, None, now, now),
                                       backlog=counts, stored=False)
            for name, counts in sorted(backlog.items()) if name not in known
        ]
    return WorkQueueList(items=items)


@router.post("/work-queues", status_code=201, response_model=WorkQueueModel, responses=CONFLICT)
def create_work_queue(body: WorkQueueCreateBody, store: StoreDep) -> WorkQueueModel:
    """Store a work queue; 409 when it is stored already (change it with PATCH)."""
    record = door.create_work_queue(
        store.db, body.name, now=store.now(), priority=body.priority,
        concurrency_limit=body.concurrency_limit, paused=body.paused,
        description=body.description,
    )
    return WorkQueueModel.from_record(record)


@router.get("/work-queues/{name}", response_model=WorkQueueModel, responses=NOT_FOUND)
def read_work_queue(name: QueueName, store: StoreDep) -> WorkQueueModel:
    return WorkQueueModel.from_record(door.read_work_queue(store.db, name))


@router.patch("/work-queues/{name}", response_model=WorkQueueModel, responses=NOT_FOUND)
def update_work_queue(name: QueueName, body: WorkQueueUpdateBody, store: StoreDep) -> WorkQueueModel:
    """Change the fields the body sets; `concurrency_limit: null` drops the limit, and
    null leaves the other fields as they are."""
    changes = {key: getattr(body, key) for key in body.model_fields_set}
    for key in ("priority", "paused"):
        if changes.get(key, 0) is None:
            del changes[key]
    record = door.update_work_queue(store.db, name, now=store.now(), **changes)
    return WorkQueueModel.from_record(record)


@router.get("/concurrency-limits", response_model=ConcurrencyLimitList)
def list_concurrency_limits(store: StoreDep) -> ConcurrencyLimitList:
    """Every limit by tag with its slots: in use, limit and the runs holding them."""
    found = door.list_concurrency_limits(store.db, now=store.now())
    return ConcurrencyLimitList(items=[ConcurrencyLimitModel.from_record(x) for x in found])


@router.post("/concurrency-limits", response_model=ConcurrencyLimitModel)
def set_concurrency_limit(body: ConcurrencyLimitBody, store: StoreDep) -> ConcurrencyLimitModel:
    """Create a tag's limit or change its slot count (runs going now count at once)."""
    record = door.set_concurrency_limit(store.db, body.tag, body.limit, now=store.now())
    return ConcurrencyLimitModel.from_record(record)


@router.get("/concurrency-limits/{tag}", response_model=ConcurrencyLimitModel,
            responses=NOT_FOUND)
def read_concurrency_limit(tag: Tag, store: StoreDep) -> ConcurrencyLimitModel:
    record = door.read_concurrency_limit(store.db, tag, now=store.now())
    return ConcurrencyLimitModel.from_record(record)


@router.delete("/concurrency-limits/{tag}", status_code=204, responses=NOT_FOUND)
def delete_concurrency_limit(tag: Tag, store: StoreDep) -> Response:
    """Drop a tag's limit; runs held back by it become claimable."""
    door.delete_concurrency_limit(store.db, tag)
    return Response(status_code=204)
