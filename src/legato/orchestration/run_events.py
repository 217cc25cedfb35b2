"""Flow-run state changes as events: every transition the orchestration layer commits also
appends a `legato.flow-run.<state>` event in the same transaction, so triggers and
notifications see exactly the committed states. Task runs do not emit (their hot path stays
free of extra writes); assets and custom events come through `store_event`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from legato.core.events import (
    FLOW_RUN_LATE,
    MAX_RELATED,
    MAX_RESOURCE,
    EventRecord,
    NewEvent,
    check_new_event,
    flow_run_event_name,
    flow_run_resource,
)
from legato.core.ids import new_id
from legato.core.records import FlowRunRecord
from legato.core.states import StateType
from legato.store import event_log
from legato.store.database import Connection
from legato.store.schedules import LateRun

MAX_MESSAGE = 2000


@dataclass(frozen=True, slots=True)
class RunChange:
    """A flow run entering a state, as the event about it needs to know."""

    flow_run_id: str
    flow_run_name: str
    tags: tuple[str, ...]
    from_state: StateType | None
    to_state: StateType
    message: str | None

    @classmethod
    def of(cls, run: FlowRunRecord, to_state: StateType, message: str | None) -> RunChange:
        return cls(run.id, run.name, run.tags, run.state, to_state, message)


Origin = tuple[str, str | None, str | None]


def flow_run_payload(change: RunChange, origin: Origin) -> dict[str, Any]:
    message = change.message
    if message is not None and len(message) > MAX_MESSAGE:
        message = message[:MAX_MESSAGE] + "..."
    return {
        "flow_run_id": change.flow_run_id,
        "flow_run_name": change.flow_run_name,
        "flow_name": origin[0],
        "state": change.to_state.value,
        "from_state": change.from_state.value if change.from_state else None,
        "message": message,
        "tags": list(change.tags),
        "deployment_id": origin[1],
        "deployment_name": origin[2],
    }


def related_resources(change: RunChange, origin: Origin) -> list[str]:
    related = [f"legato.flow.{origin[0]}"]
    if origin[1] is not None:
        related.append(f"legato.deployment.{origin[1]}")
    related.extend(f"legato.tag.{tag}" for tag in change.tags)
    return [r[:MAX_RESOURCE] for r in related[:MAX_RELATED]]


def record_run_changes(
    conn: Connection,
    changes: Sequence[RunChange],
    now: datetime,
    *,
    name: str | None = None,
    origins: Mapping[str, Origin] | None = None,
) -> None:
    """Append one event per change inside the caller's transaction (the runs must already be
    written there, so their deployments can be looked up). `name` overrides the event name
    (the late flag is not a state of its own); `origins` the caller already knows are not
    looked up again."""
    if not changes:
        return
    known = origins or {}
    missing = [c.flow_run_id for c in changes if c.flow_run_id not in known]
    origins = {**known, **event_log.run_origins(conn, missing)} if missing else known
    rows = []
    for change in changes:
        origin = origins.get(change.flow_run_id, ("", None, None))
        rows.append(
            event_log.event_row(
                new_id(),
                name or flow_run_event_name(change.to_state),
                now,
                now,
                flow_run_resource(change.flow_run_id),
                flow_run_payload(change, origin),
                related_resources(change, origin),
            )
        )
    event_log.append_new_events(conn, rows)


def store_event(conn: Connection, event: NewEvent, now: datetime) -> EventRecord:
    """Check and store an event from outside the orchestration layer (a task's emit_event,
    an asset update, a webhook); an id already stored returns the stored event unchanged."""
    check_new_event(event, f"event {event.name!r}")
    event_id = event.id or new_id()
    row = event_log.event_row(
        event_id,
        event.name,
        event.occurred or now,
        now,
        event.resource or f"legato.event.{event_id}",
        dict(event.payload),
        event.related,
    )
    event_log.insert_events(conn, [row])
    stored = event_log.read_event(conn, event_id)
    assert stored is not None, "an inserted event is readable in its own transaction"
    return stored


def record_late_runs(conn: Connection, late: Sequence[LateRun], now: datetime) -> None:
    """A `legato.flow-run.late` event for each SCHEDULED run just flagged late."""
    scheduled = StateType.SCHEDULED
    changes = [
        RunChange(run.id, run.name, run.tags, scheduled, scheduled,
                  "not started in time after its scheduled slot")
        for run in late
    ]
    record_run_changes(conn, changes, now, name=FLOW_RUN_LATE)
