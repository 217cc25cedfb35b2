"""Work queues and concurrency limits through the one door: create, change, pause and list
queues; set, read and delete limits by tag with the runs holding their slots. A limit
created or lowered while runs are going counts those runs at once (they adopt a slot).
The server's routes call these with its database and clock."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from legato.core.limits import (
    GLOBAL_TAG,
    ConcurrencyLimitRecord,
    WorkQueueRecord,
    check_limit,
    check_name,
    check_priority,
    deployment_key,
    queue_key,
    tag_key,
)
from legato.errors import Conflict, NotFound, ParameterError
from legato.store import limits as rows
from legato.store import slots
from legato.store.database import Connection, Database
from legato.store.wakeups import mark_claimable

QUEUE_FIELDS = ("priority", "concurrency_limit", "paused", "description")


def queue_not_found(name: str) -> NotFound:
    return NotFound(
        f"work queue {name!r} is not stored; create it first (legato work-queues create)."
    )


def _check_queue(record: WorkQueueRecord) -> WorkQueueRecord:
    where = f"work queue {record.name!r}"
    check_name("work queue", record.name)
    check_priority(where, record.priority)
    check_limit(where, record.concurrency_limit, allow_none=True)
    return record


def create_work_queue(
    db: Database,
    name: str,
    *,
    now: datetime,
    priority: int = 0,
    concurrency_limit: int | None = None,
    paused: bool = False,
    description: str | None = None,
) -> WorkQueueRecord:
    """Store a work queue; Conflict when one with that name is stored already.

    >>> create_work_queue(db, "etl", now=now, priority=10).priority
    10
    """
    record = _check_queue(
        WorkQueueRecord(name, priority, concurrency_limit, paused, description, now, now)
    )
    with db.writing() as conn:
        if rows.read_queues(conn, [name]):
            raise Conflict(
                f"work queue {name!r} exists already; change it with legato work-queues set."
            )
        rows.insert_queue(conn, record)
        if concurrency_limit is not None:
            _adopt_queue(conn, name, now)
    return record


def update_work_queue(
    db: Database, name: str, *, now: datetime, **changes: Any
) -> WorkQueueRecord:
    """Change some of a stored queue's fields (priority, concurrency_limit, paused,
    description); NotFound for a queue never stored."""
    unknown = sorted(set(changes) - set(QUEUE_FIELDS))
    if unknown:
        raise ParameterError(
            f"update of work queue {name!r} got unknown fields {unknown}; use "
            f"{', '.join(QUEUE_FIELDS)}."
        )
    with db.writing() as conn:
        current = rows.read_queues(conn, [name]).get(name)
        if current is None:
            raise queue_not_found(name)
        record = _check_queue(dataclasses.replace(current, updated=now, **changes))
        rows.update_queue(conn, name, {k: getattr(record, k) for k in (*changes, "updated")})
        mark_claimable(conn)  # a resumed queue or a raised limit may free runs
        if record.concurrency_limit is None:
            slots.drop_key(conn, queue_key(name))
        elif "concurrency_limit" in changes:
            _adopt_queue(conn, name, now)
    return record


def read_work_queue(db: Database, name: str) -> WorkQueueRecord:
    with db.reading() as conn:
        found = rows.read_queues(conn, [name]).get(name)
    if found is None:
        raise queue_not_found(name)
    return found


def list_work_queues(db: Database) -> list[WorkQueueRecord]:
    """Stored queues, highest priority first (queues never stored are implicit)."""
    with db.reading() as conn:
        return rows.list_queues(conn)


def _adopt_queue(conn: Connection, name: str, now: datetime) -> None:
    going = [run for run in slots.leased_runs(conn, now) if run.queue == name]
    slots.adopt(conn, queue_key(name), going, now)


def adopt_deployment(conn: Connection, deployment_id: str, now: datetime) -> None:
    """Count a deployment's going runs against the max_active_runs it was just given."""
    going = [run for run in slots.leased_runs(conn, now) if run.deployment_id == deployment_id]
    slots.adopt(conn, deployment_key(deployment_id), going, now)


def drop_deployment_slots(conn: Connection, deployment_id: str) -> None:
    """Forget the slots of a deployment that no longer limits its active runs."""
    slots.drop_key(conn, deployment_key(deployment_id))


# -- concurrency limits by tag ----------------------------------------------------------
def limit_not_found(tag: str) -> NotFound:
    return NotFound(
        f"there is no concurrency limit for tag {tag!r}; list them with "
        "legato concurrency-limits ls."
    )


def set_concurrency_limit(db: Database, tag: str, limit: int, *, now: datetime) -> ConcurrencyLimitRecord:
    """Create the limit of a tag ("*" limits every flow run) or change its slot count;
    runs going now that carry the tag hold slots of it at once.

    >>> set_concurrency_limit(db, "database", 2, now=now).limit
    2
    """
    if tag != GLOBAL_TAG:
        check_name("concurrency limit tag", tag)
    checked = check_limit(f"concurrency limit {tag!r}", limit)
    assert checked is not None
    with db.writing() as conn:
        rows.put_limit(conn, tag, checked, now)
        mark_claimable(conn)
        going = [run for run in slots.leased_runs(conn, now)
                 if tag == GLOBAL_TAG or tag in run.tags]
        slots.adopt(conn, tag_key(tag), going, now)
    return read_concurrency_limit(db, tag, now=now)


def delete_concurrency_limit(db: Database, tag: str) -> None:
    """Drop a tag's limit and its slots; NotFound when there is none."""
    with db.writing() as conn:
        if not rows.delete_limit(conn, tag):
            raise limit_not_found(tag)
        slots.drop_key(conn, tag_key(tag))
        mark_claimable(conn)


def read_concurrency_limit(db: Database, tag: str, *, now: datetime) -> ConcurrencyLimitRecord:
    """A tag's limit with the runs holding its slots now; NotFound when there is none."""
    found = list_concurrency_limits(db, now=now, tags=[tag])
    if not found:
        raise limit_not_found(tag)
    return found[0]


def list_concurrency_limits(
    db: Database, *, now: datetime, tags: list[str] | None = None
) -> list[ConcurrencyLimitRecord]:
    """Limits by tag, each with its unexpired holders (in use = len(holders))."""
    with db.reading() as conn:
        limits = rows.read_limits(conn, tags)
        held = slots.holders(conn, [tag_key(limit.tag) for limit in limits], now)
    return [dataclasses.replace(limit, holders=tuple(held[tag_key(limit.tag)]))
            for limit in limits]
