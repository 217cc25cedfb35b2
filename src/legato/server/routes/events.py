"""Routes for events: store one (webhooks, `emit_event` from remote runs) and list them by
name, name prefix and time, newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.exceptions import HTTPException

from legato.core.events import MAX_EVENT_NAME, MAX_PAYLOAD_BYTES
from legato.errors import ParameterError
from legato.schemas.api import DEFAULT_PAGE, MAX_PAGE
from legato.schemas.events import EventBody, EventModel, EventPage
from legato.schemas.fields import MAX_INT
from legato.server.params import BackendDep

router = APIRouter(tags=["events"])
# Room for the largest payload plus the other fields and JSON escaping; a bigger declared
# body is refused before it is read.
MAX_EVENT_BODY_BYTES = 4 * MAX_PAYLOAD_BYTES


def _bounded_body(request: Request) -> None:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_EVENT_BODY_BYTES:
        raise HTTPException(
            413,
            f"an event body may be at most {MAX_EVENT_BODY_BYTES} bytes; keep the payload "
            f"under {MAX_PAYLOAD_BYTES} bytes and send big data by reference (a URL).",
        )


@router.post("/events", response_model=EventModel, status_code=201,
             dependencies=[Depends(_bounded_body)])
def emit_event(body: EventBody, backend: BackendDep) -> EventModel:
    """Store an event, e.g. a webhook: `{"name": "orders.created", "payload": {...},
    "resource": "shop.order.17"}`. Names under `legato.flow-run.` are Legato's own and are
    refused; a repeated `id` returns the event stored the first time."""
    return EventModel.from_record(backend.emit_event(body.to_new()))


@router.get("/events", response_model=EventPage)
def list_events(
    backend: BackendDep,
    name: Annotated[str | None, Query(min_length=1, max_length=MAX_EVENT_NAME)] = None,
    prefix: Annotated[str | None, Query(min_length=1, max_length=MAX_EVENT_NAME)] = None,
    since: Annotated[datetime | None, Query(description="occurred at or after (ISO 8601)")] = None,
    until: Annotated[datetime | None, Query(description="occurred before (ISO 8601)")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
    offset: Annotated[int, Query(ge=0, le=MAX_INT)] = 0,
) -> EventPage:
    """Events newest first, by exact `name` or name `prefix` (`orders.`), occurred in
    [since, until)."""
    records = backend.list_events(
        name=name, prefix=prefix, since=_aware(since, "since"), until=_aware(until, "until"),
        limit=limit, offset=offset,
    )
    return EventPage(
        items=[EventModel.from_record(record) for record in records],
        next_offset=offset + len(records) if len(records) == limit else None,
    )


def _aware(value: datetime | None, field: str) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ParameterError(
            f"query parameter {field}={value.isoformat()} has no time zone; add one, such as "
            "2026-01-01T00:00:00Z.",
            [(field, "no time zone")],
        )
    return value
