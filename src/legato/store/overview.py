"""Read models of the UI's overview pages: the dashboard (runs by state over time, failing,
late, running and upcoming runs), the calendar of a year's runs per day, and flows with their
versions, and each work queue's backlog. Aggregates are grouped in SQL so a year of runs costs one scan of an index range."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Connection, func, literal, select

from legato.core.deployments import DEFAULT_WORK_QUEUE
from legato.core.states import StateType
from legato.store.tables import deployments, flow_runs, flow_versions, flows

Bucket = Literal["minute", "hour", "day"]
RUNNING = (StateType.PENDING, StateType.RUNNING, StateType.CANCELLING, StateType.PAUSED)
FAILING = (StateType.FAILED, StateType.CRASHED)
_PREFIX = {"minute": 16, "hour": 13, "day": 10}

_BRIEF = (
    flow_runs.c.id,
    flow_runs.c.name,
    flows.c.name.label("flow_name"),
    flow_runs.c.state,
    flow_runs.c.state_message,
    flow_runs.c.created,
    flow_runs.c.start_time,
    flow_runs.c.end_time,
    flow_runs.c.scheduled_time,
    flow_runs.c.deployment_id,
)


def _brief(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "flow_name": row.flow_name,
        "state": row.state,
        "state_message": row.state_message,
        "created": row.created,
        "start": row.start_time,
        "end": row.end_time,
        "scheduled_time": row.scheduled_time,
        "deployment_id": row.deployment_id,
    }


def _bucket(conn: Connection, bucket: Bucket) -> ColumnElement[Any]:
    if conn.dialect.name == "postgresql":
        return func.date_trunc(bucket, func.timezone("UTC", flow_runs.c.created))
    # SQLite stores fixed-width UTC text: a prefix of it is the hour or the day.
    return func.substr(flow_runs.c.created, 1, _PREFIX[bucket])


def _bucket_start(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC)
    text = str(value)
    if len(text) == 10:
        return datetime.fromisoformat(text).replace(tzinfo=UTC)
    return datetime.fromisoformat(f"{text}:00" if len(text) == 13 else text).replace(tzinfo=UTC)


def counts_over_time(
    conn: Connection, since: datetime, until: datetime, bucket: Bucket
) -> list[dict[str, Any]]:
    """Runs created in [since, until) per time bucket and state, oldest bucket first."""
    slot = _bucket(conn, bucket).label("slot")
    query = (
        select(slot, flow_runs.c.state, func.count())
        .where(flow_runs.c.created >= since, flow_runs.c.created < until)
        .group_by(slot, flow_runs.c.state)
    )
    buckets: dict[datetime, dict[str, int]] = {}
    for value, state, count in conn.execute(query):
        buckets.setdefault(_bucket_start(value), {})[state] = count
    return [{"start": start, "counts": buckets[start]} for start in sorted(buckets)]


def _runs(conn: Connection, *where: ColumnElement[bool], order: Sequence[Any],
          limit: int) -> list[dict[str, Any]]:
    query = (
        select(*_BRIEF).join(flows, flows.c.id == flow_runs.c.flow_id).where(*where)
        .order_by(*order).limit(limit)
    )
    return [_brief(row) for row in conn.execute(query)]


def dashboard_runs(conn: Connection, since: datetime, limit: int) -> dict[str, Any]:
    """Failing runs since `since`, late and upcoming scheduled runs, and runs going now."""
    newest = (flow_runs.c.created.desc(), flow_runs.c.id.desc())
    return {
        "failing": _runs(
            conn, flow_runs.c.state.in_([s.value for s in FAILING]),
            flow_runs.c.created >= since, order=newest, limit=limit,
        ),
        "late": _runs(
            conn, flow_runs.c.state == StateType.SCHEDULED.value, flow_runs.c.late.is_(True),
            order=(flow_runs.c.scheduled_time,), limit=limit,
        ),
        "running": _runs(
            conn, flow_runs.c.state.in_([s.value for s in RUNNING]), order=newest, limit=limit
        ),
        "upcoming": _runs(
            conn, flow_runs.c.state == StateType.SCHEDULED.value, flow_runs.c.late.is_(False),
            order=(flow_runs.c.scheduled_time,), limit=limit,
        ),
    }


def _scoped(query: Any, deployment_id: str | None, flow_name: str | None) -> Any:
    if deployment_id is not None:
        query = query.where(flow_runs.c.deployment_id == deployment_id)
    if flow_name is not None:
        query = query.where(
            flow_runs.c.flow_id == select(flows.c.id).where(flows.c.name == flow_name).scalar_subquery()
        )
    return query


def _sub_hour_offset(zone: ZoneInfo, since: datetime, until: datetime) -> int | None:
    """The part of the zone's UTC offset below an hour, in seconds (0 for most zones, 1800
    for India, 2700 for Nepal) when it is the same all through [since, until), else None
    (Lord Howe's half-hour daylight saving time)."""
    seen = set()
    moment = since
    while True:
        offset = moment.astimezone(zone).utcoffset()
        seen.add(None if offset is None else int(offset.total_seconds()) % 3600)
        if moment >= until:
            break
        moment = min(moment + timedelta(days=7), until)
    return seen.pop() if len(seen) == 1 else None


def _local_hour(conn: Connection, shift: int) -> ColumnElement[Any]:
    """The UTC hour of `created + shift` seconds: with `shift` the zone's sub-hour offset,
    every such hour is a whole local hour, so it lies within one local day."""
    if conn.dialect.name == "postgresql":
        moved = func.timezone("UTC", flow_runs.c.created) + literal(timedelta(seconds=shift))
        return func.date_trunc("hour", moved)
    return func.substr(func.datetime(flow_runs.c.created, f"+{shift} seconds"), 1, 13)


def runs_per_day(
    conn: Connection, since: datetime, until: datetime, deployment_id: str | None,
    flow_name: str | None = None, zone: ZoneInfo | None = None,
) -> list[dict[str, Any]]:
    """Runs created in [since, until) per day of `zone` (UTC by default) and state, days
    without runs left out. Other zones are grouped in SQL by whole local hours (UTC hours
    moved by the zone's sub-hour offset; minutes when that offset changes within the year),
    and each group is put on its local day here: at most 8,784 hours x states rows."""
    local = zone if zone is not None and zone.key != "UTC" else None
    shift = 0 if local is None else _sub_hour_offset(local, since, until)
    if local is None:
        slot = _bucket(conn, "day").label("slot")
    elif shift is None:
        slot = _bucket(conn, "minute").label("slot")
    else:
        slot = _local_hour(conn, shift).label("slot")
    query = _scoped(
        select(slot, flow_runs.c.state, func.count()).where(
            flow_runs.c.created >= since, flow_runs.c.created < until
        ),
        deployment_id, flow_name,
    )
    days: dict[date, dict[str, int]] = {}
    for value, state, count in conn.execute(query.group_by(slot, flow_runs.c.state)):
        start = _bucket_start(value) - timedelta(seconds=shift or 0)
        day = start.astimezone(local).date() if local is not None else start.date()
        counts = days.setdefault(day, {})
        counts[state] = counts.get(state, 0) + count
    return [{"date": moment.isoformat(), "counts": days[moment]} for moment in sorted(days)]


def scheduled_per_day(
    conn: Connection, since: datetime, deployment_id: str | None,
    flow_name: str | None = None, zone: ZoneInfo | None = None,
) -> list[dict[str, Any]]:
    """SCHEDULED runs per day (of `zone`, UTC by default) of their slot from `since` on."""
    query = _scoped(
        select(flow_runs.c.scheduled_time).where(
            flow_runs.c.state == StateType.SCHEDULED.value, flow_runs.c.scheduled_time >= since
        ),
        deployment_id, flow_name,
    )
    days: dict[date, int] = {}
    for (moment,) in conn.execute(query):
        day = (moment.astimezone(zone) if zone is not None else moment).date()
        days[day] = days.get(day, 0) + 1
    return [{"date": day.isoformat(), "n": days[day]} for day in sorted(days)]


def list_flows(conn: Connection, *, limit: int, offset: int) -> list[dict[str, Any]]:
    """Flows by name with how many versions each has and its newest run."""
    versions = (
        select(flow_versions.c.flow_id, func.count().label("versions"))
        .group_by(flow_versions.c.flow_id).subquery()
    )
    query = (
        select(flows.c.id, flows.c.name, flows.c.created, versions.c.versions)
        .outerjoin(versions, versions.c.flow_id == flows.c.id)
        .order_by(flows.c.name).limit(limit).offset(offset)
    )
    documents = []
    for row in conn.execute(query).all():
        last = conn.execute(
            select(flow_runs.c.id, flow_runs.c.state, flow_runs.c.created)
            .where(flow_runs.c.flow_id == row.id)
            .order_by(flow_runs.c.created.desc()).limit(1)
        ).first()
        documents.append({
            "id": row.id, "name": row.name, "created": row.created,
            "versions": row.versions or 0,
            "last_run": None if last is None else {
                "id": last.id, "state": last.state, "created": last.created
            },
        })
    return documents


def flow_versions_of(conn: Connection, flow_name: str, *, limit: int) -> list[dict[str, Any]] | None:
    """A flow's versions, newest first, without their source; None for an unknown flow."""
    flow_id = conn.execute(select(flows.c.id).where(flows.c.name == flow_name)).scalar()
    if flow_id is None:
        return None
    query = (
        select(flow_versions.c.id, flow_versions.c.source_hash, flow_versions.c.entrypoint,
               flow_versions.c.created)
        .where(flow_versions.c.flow_id == flow_id)
        .order_by(flow_versions.c.created.desc(), flow_versions.c.id.desc()).limit(limit)
    )
    return [
        {"id": row.id, "source_hash": row.source_hash, "entrypoint": row.entrypoint,
         "created": row.created}
        for row in conn.execute(query)
    ]


def queue_backlog(conn: Connection, now: datetime) -> dict[str, tuple[int, int]]:
    """SCHEDULED runs per work queue (as the claim query assigns them): (due, due later),
    and every queue a deployment names and the default one, with (0, 0) when it has none."""
    queue = func.coalesce(deployments.c.work_queue, DEFAULT_WORK_QUEUE)
    due = func.coalesce(flow_runs.c.scheduled_time, flow_runs.c.created) <= now
    query = (
        select(queue.label("queue"), due.label("due"), func.count().label("n"))
        .select_from(flow_runs.outerjoin(deployments, deployments.c.id == flow_runs.c.deployment_id))
        .where(flow_runs.c.state == StateType.SCHEDULED.value)
        .group_by(queue, due)
    )
    backlog: dict[str, tuple[int, int]] = {DEFAULT_WORK_QUEUE: (0, 0)}
    for name in conn.execute(select(deployments.c.work_queue).distinct()).scalars():
        backlog[name] = (0, 0)
    for row in conn.execute(query):
        pending, upcoming = backlog.get(row.queue, (0, 0))
        backlog[row.queue] = (pending + row.n, upcoming) if row.due else (pending, upcoming + row.n)
    return backlog
