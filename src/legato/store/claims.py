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
    bindparam,
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
from legato.store.runs import FLOW_RUN_COLUMNS, LockedRun, flow_run_record
from legato.store.tables import (
    concurrency_limits,
    concurrency_slots,
    deployments,
    flow_runs,
    flows,
    work_queues,
    workers,
)

# Any constant works; every Legato process must use the same one.
_PG_LIMITED_CLAIM_LOCK = 0x1E6A71


@dataclass(frozen=True, slots=True)
class Candidate:
    """A claimable run with what its limits and timeout depend on, and the run itself as
    the claim writes it (read with the same statement, locked on PostgreSQL)."""

    id: str
    deployment_id: str | None
    queue: str
    tags: tuple[str, ...]
    max_active_runs: int | None
    run_timeout_seconds: float | None
    run: LockedRun


_QUEUE = func.coalesce(deployments.c.work_queue, DEFAULT_WORK_QUEUE)
_DUE = func.coalesce(flow_runs.c.scheduled_time, flow_runs.c.created)
_PRIORITY = func.coalesce(flow_runs.c.priority, deployments.c.priority, 0)
_CANDIDATES = (
    select(
        *FLOW_RUN_COLUMNS, _QUEUE.label("queue"), deployments.c.max_active_runs,
        deployments.c.run_timeout_seconds, deployments.c.id.label("origin_deployment_id"),
        deployments.c.name.label("origin_deployment_name"),
    )
    .select_from(
        flow_runs.join(flows, flows.c.id == flow_runs.c.flow_id)
        .outerjoin(deployments, deployments.c.id == flow_runs.c.deployment_id)
    )
    .where(flow_runs.c.state == StateType.SCHEDULED.value)
    .where(or_(flow_runs.c.scheduled_time.is_(None), flow_runs.c.scheduled_time <= bindparam("b_now")))
    .where(_QUEUE.in_(bindparam("b_queues", expanding=True)))
    .limit(bindparam("b_limit"))
)
# The common claim (no queue priorities, no full limit) is built once: SQLAlchemy then
# neither builds it nor walks it for its cache key on every claim.
_PLAIN_CANDIDATES = _CANDIDATES.order_by(_PRIORITY.desc(), _DUE, flow_runs.c.id)
_PLAIN_CANDIDATES_LOCKED = _PLAIN_CANDIDATES.with_for_update(skip_locked=True, of=flow_runs)


@dataclass(frozen=True, slots=True)
class ClaimOutlook:
    """What a claim learns from its first statement: the worker's name (None for an unknown
    worker), whether any SCHEDULED run of any queue is due, and whether any of the asked-for
    queues is stored, any concurrency limit is defined and any slot is held. A claim skips
    the reads these answer no to, which answers most empty claims in one statement."""

    worker_name: str | None
    due: bool
    queues_stored: bool
    limits_defined: bool
    slots_held: bool


# Built once: every claim, empty ones included, starts with it.
_OUTLOOK = select(
    workers.c.name,
    exists(select(literal(1))
           .where(flow_runs.c.state == StateType.SCHEDULED.value)
           .where(or_(flow_runs.c.scheduled_time.is_(None),
                      flow_runs.c.scheduled_time <= bindparam("b_now")))).label("due"),
    exists(select(literal(1))
           .where(work_queues.c.name.in_(bindparam("b_queues", expanding=True))))
    .label("queues_stored"),
    exists(select(literal(1)).select_from(concurrency_limits)).label("limits_defined"),
    exists(select(literal(1))
           .where(concurrency_slots.c.expires_at
                  >= bindparam("b_now", type_=concurrency_slots.c.expires_at.type)))
    .label("slots_held"),
).where(workers.c.id == bindparam("b_worker"))


def claim_outlook(conn: Connection, worker_id: str, queues: Sequence[str],
                  now: datetime) -> ClaimOutlook:
    """The claim's first statement (see ClaimOutlook)."""
    row = conn.execute(_OUTLOOK, {"b_worker": worker_id, "b_now": now,
                                  "b_queues": list(queues)}).first()
    if row is None:
        return ClaimOutlook(None, False, False, False, False)
    return ClaimOutlook(row.name, bool(row.due), bool(row.queues_stored),
                        bool(row.limits_defined), bool(row.slots_held))


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
    postgresql = conn.dialect.name == "postgresql"
    prioritised = bool(queue_priorities and any(queue_priorities.values()))
    if not (prioritised or full_deployments or full_tags):
        query = _PLAIN_CANDIDATES_LOCKED if postgresql else _PLAIN_CANDIDATES
    else:
        order: list[Any] = [_PRIORITY.desc(), _DUE, flow_runs.c.id]
        if prioritised:
            assert queue_priorities is not None
            order.insert(0, case(dict(queue_priorities), value=_QUEUE, else_=0).desc())
        query = _CANDIDATES.order_by(*order)
        if full_deployments:
            query = query.where(or_(flow_runs.c.deployment_id.is_(None),
                                    flow_runs.c.deployment_id.not_in(list(full_deployments))))
        if full_tags:
            query = query.where(not_(_has_any_tag(conn, sorted(full_tags))))
        if postgresql:
            query = query.with_for_update(skip_locked=True, of=flow_runs)
    rows = conn.execute(query, {"b_now": now, "b_queues": list(queues), "b_limit": limit})
    return [
        Candidate(row.id, row.deployment_id, row.queue, tuple(row.tags or ()),
                  row.max_active_runs, row.run_timeout_seconds,
                  LockedRun(flow_run_record(row), int(row.lease_epoch or 0),
                            (row.flow_name, row.origin_deployment_id,
                             row.origin_deployment_name)))
        for row in rows
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
