"""Routes for the run actions of the UI: delete a finished flow run, bulk cancel/retry/delete,
read one task run and mark it COMPLETED or FAILED, and filtered or downloaded logs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import StreamingResponse

from legato._clock import Clock
from legato.core.cancel import cancel_flow_run
from legato.core.records import LogRecord
from legato.core.states import StateType
from legato.errors import LegatoError
from legato.orchestration import run_actions
from legato.orchestration.local import LocalBackend
from legato.orchestration.service import OrchestrationService, flow_run_not_found
from legato.schemas.actions import BulkBody, BulkItemResult, BulkResultModel, MarkTaskRunBody
from legato.schemas.api import DEFAULT_LOG_PAGE, MAX_LOG_PAGE, LogPage
from legato.schemas.fields import ID_PATTERN, MAX_ID, MAX_NAME
from legato.schemas.records import LogModel, TaskRunModel
from legato.server.params import (
    NOT_FOUND,
    NOT_FOUND_OR_CONFLICT,
    BackendDep,
    DatabaseDep,
    FlowRunId,
    database,
)
from legato.store import logs, run_edits, runs
from legato.store.database import Database

router = APIRouter(tags=["run actions"])

TaskRunId = Annotated[
    str, Path(pattern=ID_PATTERN, max_length=MAX_ID, description="A task run id.")
]
DOWNLOAD_PAGE = 5000


def service(request: Request) -> OrchestrationService:
    """The orchestration service over the server's database (the LocalBackend's own)."""
    backend = request.app.state.backend
    if isinstance(backend, LocalBackend) and backend.db is request.app.state.db:
        return backend.service
    clock: Clock = request.app.state.clock
    return OrchestrationService(database(request), clock)


ServiceDep = Annotated[OrchestrationService, Depends(service)]


@router.delete("/flow-runs/{flow_run_id}", status_code=204, responses=NOT_FOUND_OR_CONFLICT)
def delete_flow_run(flow_run_id: FlowRunId, door: ServiceDep) -> Response:
    """Delete a finished flow run with its task runs, logs, state history and artifacts
    (409 while it may still execute: cancel it first)."""
    run_actions.delete_flow_run(door, flow_run_id)
    return Response(status_code=204)


@router.post("/flow-runs/bulk", response_model=BulkResultModel)
def bulk_action(body: BulkBody, backend: BackendDep, door: ServiceDep) -> BulkResultModel:
    """Cancel, retry or delete each flow run on its own; one failure does not stop the rest."""
    results = []
    for run_id in body.ids:
        try:
            if body.action == "cancel":
                cancel_flow_run(backend, run_id)
            elif body.action == "retry":
                backend.retry_flow_run(run_id)
            else:
                run_actions.delete_flow_run(door, run_id)
        except LegatoError as error:
            results.append(BulkItemResult(id=run_id, ok=False, detail=str(error)))
        else:
            results.append(BulkItemResult(id=run_id, ok=True))
    return BulkResultModel(results=results)


@router.get("/task-runs/{task_run_id}", response_model=TaskRunModel, responses=NOT_FOUND)
def read_task_run(task_run_id: TaskRunId, db: DatabaseDep) -> TaskRunModel:
    """One task run."""
    with db.reading() as conn:
        record = run_edits.read_task_run(conn, task_run_id)
    if record is None:
        raise run_actions.task_run_not_found(task_run_id)
    return TaskRunModel.from_record(record)


@router.post("/task-runs/{task_run_id}/state", response_model=TaskRunModel, responses=NOT_FOUND)
def mark_task_run(
    task_run_id: TaskRunId, body: MarkTaskRunBody, door: ServiceDep
) -> TaskRunModel:
    """Mark a task run COMPLETED or FAILED (forced; the message is the recorded reason)."""
    record = run_actions.mark_task_run(door, task_run_id, StateType(body.state), body.message)
    return TaskRunModel.from_record(record)


_LEVELS = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40, "CRITICAL": 50}
Level = Annotated[
    str | None,
    Query(
        pattern=r"^(?i:DEBUG|INFO|WARNING|ERROR|CRITICAL|[0-9]{1,2})$",
        description="the lowest level shown: a name (INFO) or a number (20)",
    ),
]


def _min_level(level: str | None) -> int | None:
    if level is None:
        return None
    return int(level) if level.isdigit() else _LEVELS[level.upper()]


@router.get("/flow-runs/{flow_run_id}/logs", response_model=LogPage)
def read_logs(
    flow_run_id: FlowRunId,
    request: Request,
    backend: BackendDep,
    task_run_id: Annotated[str | None, Query(pattern=ID_PATTERN, max_length=MAX_ID)] = None,
    level: Level = None,
    q: Annotated[str | None, Query(min_length=1, max_length=MAX_NAME)] = None,
    after_id: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_LOG_PAGE)] = DEFAULT_LOG_PAGE,
) -> LogPage:
    """Log lines with id > after_id (optionally of one task run, at `level` or above,
    containing `q`), oldest first; `next_after_id` reads on."""
    db: Database | None = request.app.state.db
    if db is None and level is None and q is None:
        # An app over a Backend without a database of its own: the protocol's read.
        records = backend.read_logs(
            flow_run_id, task_run_id=task_run_id, after_id=after_id, limit=limit
        )
    else:
        with database(request).reading() as conn:
            records = logs.read_logs(
                conn, flow_run_id, task_run_id=task_run_id, after_id=after_id, limit=limit,
                min_level=_min_level(level), text=q,
            )
    return LogPage(
        items=[LogModel.from_stored(record) for record in records],
        next_after_id=records[-1].id if len(records) == limit else None,
    )


def _log_line(record: LogRecord) -> str:
    level = next((name for name, number in _LEVELS.items() if number == record.level),
                 str(record.level))
    where = f" [{record.task_run_id}]" if record.task_run_id else ""
    return f"{record.timestamp.isoformat()} {level:<8} {record.logger}{where} {record.message}\n"


def _all_lines(db: Database, flow_run_id: str) -> Iterator[bytes]:
    after_id = 0
    while True:
        # One short read per page, so a long download never holds a connection.
        with db.reading() as conn:
            page = logs.read_logs(
                conn, flow_run_id, task_run_id=None, after_id=after_id, limit=DOWNLOAD_PAGE
            )
        if not page:
            return
        yield "".join(_log_line(record) for record in page).encode()
        after_id = page[-1].id


@router.get(
    "/flow-runs/{flow_run_id}/logs/download",
    response_class=StreamingResponse,
    responses={**NOT_FOUND, 200: {"content": {"text/plain": {}}}},
)
def download_logs(flow_run_id: FlowRunId, db: DatabaseDep) -> StreamingResponse:
    """Every log line of a flow run as plain text, oldest first."""
    with db.reading() as conn:
        if not runs.flow_run_exists(conn, flow_run_id):
            raise flow_run_not_found(flow_run_id)
    return StreamingResponse(
        _all_lines(db, flow_run_id),
        media_type="text/plain; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{flow_run_id}.log"'},
    )
