"""Routes of the UI's overview pages: the dashboard, the calendar heat map of a year, flows
with their versions, and the diff between two versions of a flow's source."""

from __future__ import annotations

import difflib
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson
from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import AwareDatetime

from legato._clock import Clock
from legato.errors import NotFound, ParameterError
from legato.schemas.api import DEFAULT_PAGE, MAX_PAGE
from legato.schemas.fields import ID_PATTERN, MAX_ID, MAX_INT, MAX_NAME
from legato.server.params import NOT_FOUND, BackendDep, DatabaseDep, FlowVersionId
from legato.store import flows as stored_flows
from legato.store import overview

router = APIRouter(tags=["overview"])

MAX_DASHBOARD_DAYS = 90
DASHBOARD_LIST = 10


def _json(document: Any) -> Response:
    return Response(orjson.dumps(document), media_type="application/json")


@router.get("/dashboard")
def read_dashboard(
    request: Request,
    db: DatabaseDep,
    backend: BackendDep,
    since: Annotated[AwareDatetime | None, Query(description="default: a day before until")] = None,
    until: Annotated[AwareDatetime | None, Query(description="default: now")] = None,
    bucket: Literal["hour", "day"] = "hour",
) -> Response:
    """Runs by state per bucket in [since, until), failing runs since `since`, late and
    upcoming scheduled runs, runs going now, and the workers with their last heartbeat."""
    clock: Clock = request.app.state.clock
    now = clock.now()
    end = (until or now).astimezone(UTC)
    start = (since or end - timedelta(days=1)).astimezone(UTC)
    if not start < end or end - start > timedelta(days=MAX_DASHBOARD_DAYS):
        raise ParameterError(
            f"dashboard range {start.isoformat()} .. {end.isoformat()} must be non-empty and "
            f"at most {MAX_DASHBOARD_DAYS} days long; narrow since/until.",
            [("since", "range empty or too long")],
        )
    with db.reading() as conn:
        document: dict[str, Any] = {
            "since": start,
            "until": end,
            "bucket": bucket,
            "counts_by_state_over_time": overview.counts_over_time(conn, start, end, bucket),
            **overview.dashboard_runs(conn, start, DASHBOARD_LIST),
        }
    document["workers"] = [
        {
            "id": worker.id,
            "name": worker.name,
            "status": worker.status,
            "queues": list(worker.queues),
            "heartbeat_at": worker.heartbeat_at,
            "seconds_since_heartbeat": round((now - worker.heartbeat_at).total_seconds(), 3),
            "host": worker.host,
        }
        for worker in backend.list_workers()
    ]
    return _json(document)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ParameterError(
            f"query parameter tz={name!r} is not a time zone this server knows; pass an IANA "
            "name such as UTC or Europe/Berlin.",
            [("tz", "unknown time zone")],
        ) from None


@router.get("/calendar")
def read_calendar(
    request: Request,
    db: DatabaseDep,
    year: Annotated[int | None, Query(ge=1970, le=9998, description="default: this year")] = None,
    deployment_id: Annotated[str | None, Query(pattern=ID_PATTERN, max_length=MAX_ID)] = None,
    flow_name: Annotated[str | None, Query(min_length=1, max_length=MAX_NAME)] = None,
    tz: Annotated[str, Query(min_length=1, max_length=64, description="IANA zone of the days")]
    = "UTC",
) -> Response:
    """Runs per day (of `tz`) and state over a year, and SCHEDULED runs per day from now on,
    of a deployment, a flow or every run."""
    zone = _zone(tz)
    clock: Clock = request.app.state.clock
    now = clock.now()
    chosen = year or now.astimezone(zone).year
    start = datetime(chosen, 1, 1, tzinfo=zone).astimezone(UTC)
    end = datetime(chosen + 1, 1, 1, tzinfo=zone).astimezone(UTC)
    with db.reading() as conn:
        document = {
            "year": chosen,
            "time_zone": zone.key,
            "days": overview.runs_per_day(conn, start, end, deployment_id, flow_name, zone),
            "upcoming": overview.scheduled_per_day(conn, now, deployment_id, flow_name, zone),
        }
    return _json(document)


@router.get("/flows")
def list_flows(
    db: DatabaseDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
    offset: Annotated[int, Query(ge=0, le=MAX_INT)] = 0,
) -> Response:
    """Flows by name, each with its number of versions and its newest run."""
    with db.reading() as conn:
        items = overview.list_flows(conn, limit=limit + 1, offset=offset)
    more = len(items) > limit
    return _json({"items": items[:limit], "next_offset": offset + limit if more else None})


@router.get("/flows/{flow_name}/versions", responses=NOT_FOUND)
def list_flow_versions(
    flow_name: Annotated[str, Path(min_length=1, max_length=MAX_NAME)],
    db: DatabaseDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
) -> Response:
    """A flow's versions, newest first (GET /flow-versions/{id} has the source)."""
    with db.reading() as conn:
        items = overview.flow_versions_of(conn, flow_name, limit=limit)
    if items is None:
        raise NotFound(f"flow {flow_name!r} does not exist; check the name (GET /api/v1/flows).")
    return _json({"items": items})


@router.get("/flow-versions/{flow_version_id}/diff/{other_id}", responses=NOT_FOUND)
def diff_flow_versions(
    flow_version_id: FlowVersionId,
    other_id: Annotated[str, Path(pattern=ID_PATTERN, max_length=MAX_ID)],
    db: DatabaseDep,
) -> Response:
    """The unified diff from one flow version's source to another's."""
    with db.reading() as conn:
        old = stored_flows.read_flow_version(conn, flow_version_id)
        new = stored_flows.read_flow_version(conn, other_id)
    # Lines without their ends, joined by "\n": a last line with no newline must not run
    # into the next line of the diff.
    lines = list(difflib.unified_diff(
        old.source.splitlines(), new.source.splitlines(),
        fromfile=f"{old.flow_name}@{old.source_hash[:12]}",
        tofile=f"{new.flow_name}@{new.source_hash[:12]}", lineterm="",
    ))
    text = "\n".join(lines) + "\n" if lines else ""
    return _json({"from": old.id, "to": new.id, "diff": text})
