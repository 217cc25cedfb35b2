"""The claim query: SCHEDULED runs due now in the asked-for queues, in claim order (queue
priority, then run priority, then scheduled time), leaving out runs whose deployment,
queue or tags are known to be at their limit; locked `FOR UPDATE SKIP LOCKED` on
PostgreSQL, under the single writer (`BEGIN IMMEDIATE`) on SQLite."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Connection,
    String,
    case,
    cast,
    exists,
    func,
    literal,
    not_,
    or_,
    select,
    text,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import JSONB

from legato.core.deployments import DEFAULT_WORK_QUEUE
from legato.core.states import StateType
from legato.store.tables import deployments, flow_runs

# Any constant works; every Legato process must use the same one.
_PG_LIMITED_CLAIM_LOCK = 0x1E6A71


@dataclass(frozen=True, slots=True)
class Candidate:
    """A claimable run with what its limits and timeout depend on."""

    id: str
    deployment_id: str | None
    queue: str
    tags: tuple[str, ...]
    max_active_runs: int | None
    run_timeout_seconds: float | None


def candidates(
    conn: Connection,
    queues: Sequence[str],
    limit: int,
    now: datetime,
    *,
    queue_priorities: Mapping[str, int] | None = None,
    full_deployments: Collection[str] = (),
    full_tags: Collection[str] = (),
) -> list[Candidate]:
    """Up to `limit` claimable runs of `queues` in claim order, locked for this transaction
    (PostgreSQL skips rows another claimer locked)."""
    if not queues or limit <= 0:
        return []
    queue = func.coalesce(deployments.c.work_queue, DEFAULT_WORK_QUEUE)
    due = func.coalesce(flow_runs.c.scheduled_time, flow_runs.c.created)
    priority = func.coalesce(flow_runs.c.priority, deployments.c.priority, 0)
    order: list[Any] = [priority.desc(), due, flow_runs.c.id]
    if queue_priorities and any(queue_priorities.values()):
        order.insert(0, case(dict(queue_priorities), value=queue, else_=0).desc())
    query = (
        select(
            flow_runs.c.id, flow_runs.c.deployment_id, queue.label("queue"), flow_runs.c.tags,
            deployments.c.max_active_runs, deployments.c.run_timeout_seconds,
        )
        .select_from(flow_runs.outerjoin(deployments, deployments.c.id == flow_runs.c.deployment_id))
        .where(flow_runs.c.state == StateType.SCHEDULED.value)
        .where(or_(flow_runs.c.scheduled_time.is_(None), flow_runs.c.scheduled_time <= now))
        .where(queue.in_(list(queues)))
        .order_by(*order)
        .limit(limit)
    )
    if full_deployments:
        query = query.where(or_(flow_runs.c.deployment_id.is_(None),
                                flow_runs.c.deployment_id.not_in(list(full_deployments))))
    if full_tags:
        query = query.where(not_(_has_any_tag(conn, sorted(full_tags))))
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=flow_runs)
    return [
        Candidate(row.id, row.deployment_id, row.queue, tuple(row.tags or ()),
                  row.max_active_runs, row.run_timeout_seconds)
        for row in conn.execute(query)
    ]


def _has_any_tag(conn: Connection, tags: list[str]) -> ColumnElement[bool]:
    if conn.dialect.name == "postgresql":
        tags_any: ColumnElement[bool] = type_coerce(flow_runs.c.tags, JSONB).has_any(
            cast(literal(tags), ARRAY(String))
        )
        return tags_any
    each = func.json_each(flow_runs.c.tags).table_valued("value")
    return exists(select(literal(1)).select_from(each).where(each.c.value.in_(tags)))


def lock_limited_claims(conn: Connection) -> None:
    """Serialize claims that check limits until this transaction ends, so two claimers
    never both see the last free slot (SQLite's single writer does this already)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LIMITED_CLAIM_LOCK})


def deployment_limits(conn: Connection, deployment_ids: Collection[str]) -> dict[str, int]:
    """max_active_runs of those of `deployment_ids` that set it."""
    if not deployment_ids:
        return {}
    query = (
        select(deployments.c.id, deployments.c.max_active_runs)
        .where(deployments.c.id.in_(list(deployment_ids)))
        .where(deployments.c.max_active_runs.is_not(None))
    )
    return {row.id: row.max_active_runs for row in conn.execute(query)}
