"""GET /schedules/describe: a schedule in words and its next five slots, for the deployment
forms of the UI (the same checks as creating a deployment's schedule)."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request, Response

from legato._clock import Clock
from legato.core.schedules import ScheduleSpec, zone
from legato.errors import DefinitionError, ParameterError
from legato.scheduling.describe import describe_schedule, next_runs

router = APIRouter(tags=["deployments"])

MAX_EXPRESSION = 1000


def _spec(cron: str | None, interval: int | None, rrule: str | None,
          timezone: str) -> ScheduleSpec:
    given = [name for name, value in (("cron", cron), ("interval", interval), ("rrule", rrule))
             if value is not None]
    if len(given) != 1:
        raise ParameterError(
            "describe needs exactly one of cron, interval (seconds) or rrule; pass one.",
            [("cron", "give exactly one of cron, interval, rrule")],
        )
    field = given[0]
    try:
        zone(timezone)
        field = given[0]
        if cron is not None:
            return ScheduleSpec.cron(cron, timezone)
        if interval is not None:
            return ScheduleSpec.interval(interval, timezone=timezone)
        assert rrule is not None
        return ScheduleSpec.rrule(rrule, timezone)
    except DefinitionError as error:
        raise ParameterError(f"{field}: {error}", [(field, str(error))]) from None


@router.get("/schedules/describe")
def describe(
    request: Request,
    cron: Annotated[str | None, Query(max_length=MAX_EXPRESSION)] = None,
    interval: Annotated[int | None, Query(ge=1, le=10 * 365 * 86400)] = None,
    rrule: Annotated[str | None, Query(max_length=MAX_EXPRESSION)] = None,
    timezone: Annotated[str, Query(min_length=1, max_length=64)] = "UTC",
) -> Response:
    """{"text": "every hour at :15, Europe/Berlin", "next_runs": [five UTC instants]}."""
    spec = _spec(cron, interval, rrule, timezone)
    clock: Clock = request.app.state.clock
    try:
        upcoming = next_runs(spec, clock.now())
    except DefinitionError as error:
        field = spec.kind.value if spec.kind.value != "interval" else "interval"
        raise ParameterError(f"{field}: {error}", [(field, str(error))]) from None
    document: dict[str, Any] = {"text": describe_schedule(spec), "next_runs": upcoming}
    return Response(orjson.dumps(document), media_type="application/json")
