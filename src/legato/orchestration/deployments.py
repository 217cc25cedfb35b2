"""Deployments through the one door: create, update, read, list, pause, resume and delete
them, and insert the SCHEDULED runs made from their slots (first state event included).

Expression syntax (cron, RRULE) is checked one layer up, by legato.scheduling.deployments,
which wraps create and update; here every check that needs no parser is made."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from legato.core.deployments import (
    DeploymentRecord,
    DeploymentRun,
    DeploymentSpec,
    check_deployment,
)
from legato.core.ids import new_id
from legato.core.names import run_name
from legato.core.records import StateEvent
from legato.core.states import StateType, check_transition
from legato.errors import Conflict, NotFound, ParameterError
from legato.orchestration.limits import adopt_deployment, drop_deployment_slots
from legato.orchestration.run_events import Origin, RunChange, record_run_changes
from legato.orchestration.service import Timing, timing_after
from legato.store import deployments as store
from legato.store import events, flows, schedules
from legato.store.bulk import TimestampMemo
from legato.store.database import Connection, Database
from legato.store.runs import result_values


def deployment_not_found(deployment_id: str) -> NotFound:
    """The error for an unknown deployment id."""
    return NotFound(
        f"deployment {deployment_id!r} does not exist; check the id (legato deployments ls)."
    )


def create_deployment(db: Database, spec: DeploymentSpec, *, now: datetime) -> DeploymentRecord:
    """Store a new deployment; Conflict when the flow already has one with that name.

    >>> create_deployment(db, DeploymentSpec("nightly", "etl", "etl.py:etl"), now=now).id
    """
    check_deployment(spec)
    deployment_id = new_id()
    with db.writing() as conn:
        flow_id = _flow_for(conn, spec, now)
        if store.find_deployment(conn, flow_id, spec.name) is not None:
            raise Conflict(
                f"flow {spec.flow_name!r} already has a deployment named {spec.name!r}; "
                "update that one or pick another name."
            )
        store.insert_deployment(conn, deployment_id, spec, flow_id, now)
    return read_deployment(db, deployment_id)


def _flow_for(conn: Connection, spec: DeploymentSpec, now: datetime) -> str:
    if spec.flow_version_id is not None and not flows.flow_version_exists(
        conn, spec.flow_version_id
    ):
        raise NotFound(
            f"deployment {spec.name!r} names flow version {spec.flow_version_id!r}, which does "
            "not exist; register the flow version first."
        )
    return flows.ensure_flow(conn, spec.flow_name, now)


def read_deployment(db: Database, deployment_id: str) -> DeploymentRecord:
    """A deployment with its schedules; NotFound for an unknown id."""
    with db.reading() as conn:
        found = store.read_deployments(conn, [deployment_id])
    if not found:
        raise deployment_not_found(deployment_id)
    return found[0]


def find_deployment(db: Database, flow_name: str, name: str) -> DeploymentRecord:
    """The deployment `name` of flow `flow_name`; NotFound when there is none."""
    with db.reading() as conn:
        flow_id = flows.find_flow(conn, flow_name)
        found = None if flow_id is None else store.find_deployment(conn, flow_id, name)
        records = [] if found is None else store.read_deployments(conn, [found])
    if not records:
        raise NotFound(
            f"flow {flow_name!r} has no deployment named {name!r}; check the names "
            "(legato deployments ls)."
        )
    return records[0]


def list_deployments(
    db: Database, *, flow_name: str | None = None, limit: int = 50, offset: int = 0
) -> list[DeploymentRecord]:
    """Deployments, oldest first, one page at a time."""
    _check_page(limit, offset, "list_deployments")
    with db.reading() as conn:
        ids = store.list_deployment_ids(conn, flow_name=flow_name, limit=limit, offset=offset)
        return store.read_deployments(conn, ids)


def list_deployment_runs(
    db: Database, deployment_id: str, *, limit: int = 50, offset: int = 0
) -> list[DeploymentRun]:
    """A deployment's runs, oldest slot first, one page at a time."""
    _check_page(limit, offset, "list_deployment_runs")
    with db.reading() as conn:
        return store.list_deployment_runs(conn, deployment_id, limit=limit, offset=offset)


def update_deployment(
    db: Database, deployment_id: str, *, now: datetime, **changes: Any
) -> DeploymentRecord:
    """Change some fields of a deployment (names as in DeploymentSpec); schedules given
    replace the old ones, keeping the slot position of those that did not change."""
    known = {f.name for f in dataclasses.fields(DeploymentSpec)}
    unknown = sorted(set(changes) - known)
    if unknown:
        raise ParameterError(
            f"update of deployment {deployment_id} got unknown fields {unknown}; "
            f"use fields of DeploymentSpec ({', '.join(sorted(known))})."
        )
    current = read_deployment(db, deployment_id)
    if "schedules" in changes:
        changes["schedules"] = tuple(changes["schedules"])
    if "tags" in changes:
        changes["tags"] = tuple(changes["tags"])
    spec = check_deployment(dataclasses.replace(current.spec, **changes))
    with db.writing() as conn:
        if not store.read_deployments(conn, [deployment_id]):
            raise deployment_not_found(deployment_id)
        flow_id = _flow_for(conn, spec, now)
        other = store.find_deployment(conn, flow_id, spec.name)
        if other is not None and other != deployment_id:
            raise Conflict(
                f"flow {spec.flow_name!r} already has a deployment named {spec.name!r}; "
                "pick another name."
            )
        store.update_deployment(conn, deployment_id, spec, now)
        if spec.max_active_runs is None:
            drop_deployment_slots(conn, deployment_id)
        elif spec.max_active_runs != current.spec.max_active_runs:
            adopt_deployment(conn, deployment_id, now)
    return read_deployment(db, deployment_id)


def pause_deployment(db: Database, deployment_id: str, *, now: datetime) -> DeploymentRecord:
    """Stop a deployment's schedules from making runs until it is resumed."""
    return _set_paused(db, deployment_id, True, now)


def resume_deployment(db: Database, deployment_id: str, *, now: datetime) -> DeploymentRecord:
    """Resume a paused deployment; slots missed meanwhile follow its catch-up policy."""
    return _set_paused(db, deployment_id, False, now)


def _set_paused(db: Database, deployment_id: str, paused: bool, now: datetime) -> DeploymentRecord:
    with db.writing() as conn:
        found = store.read_deployments(conn, [deployment_id])
        if not found:
            raise deployment_not_found(deployment_id)
        if found[0].paused != paused:
            store.set_paused(conn, deployment_id, paused, now)
    return read_deployment(db, deployment_id)


def delete_deployment(db: Database, deployment_id: str) -> None:
    """Delete a deployment and its schedules; the runs it made stay as history."""
    with db.writing() as conn:
        if not store.read_deployments(conn, [deployment_id]):
            raise deployment_not_found(deployment_id)
        store.delete_deployment(conn, deployment_id)


def _check_page(limit: int, offset: int, what: str) -> None:
    if limit < 0 or offset < 0:
        raise ParameterError(f"{what} got limit={limit}, offset={offset}; both must be 0 or more.")


@dataclasses.dataclass(frozen=True, slots=True)
class SlotRun:
    """A SCHEDULED run to make for one slot of a deployment."""

    deployment_id: str
    flow_id: str
    flow_version_id: str | None
    entrypoint: str
    parameters: dict[str, Any]
    tags: tuple[str, ...]
    schedule_id: str | None
    slot: datetime
    idempotency_key: str
    message: str
    is_backfill: bool = False
    # None: the deployment's priority applies (read at claim time).
    priority: int | None = None
    # Known to the scheduler already; when both are set, the run's event needs no lookup.
    flow_name: str | None = None
    deployment_name: str | None = None


def insert_slot_runs(conn: Connection, slot_runs: Sequence[SlotRun], now: datetime) -> int:
    """Insert SCHEDULED runs inside the caller's transaction, at most one per idempotency
    key (Promise 4), each with its first state event; return how many were new."""
    return len(_insert(conn, slot_runs, now))


def insert_deployment_run(conn: Connection, slot_run: SlotRun, now: datetime) -> DeploymentRun | None:
    """Insert one SCHEDULED run as `insert_slot_runs` does; return it as its deployment sees
    it, or None when its idempotency key was taken already."""
    new_rows = _insert(conn, [slot_run], now)
    if not new_rows:
        return None
    row = new_rows[0]
    return DeploymentRun(
        id=row["id"], deployment_id=slot_run.deployment_id, schedule_id=slot_run.schedule_id,
        scheduled_time=slot_run.slot, idempotency_key=slot_run.idempotency_key,
        is_backfill=slot_run.is_backfill, late=False, state=StateType(row["state"]),
        state_message=row["state_message"], parameters=row["parameters"], created=now,
    )


def _insert(conn: Connection, slot_runs: Sequence[SlotRun], now: datetime) -> list[dict[str, Any]]:
    state = StateType.SCHEDULED
    check_transition(None, state, what="a scheduled flow run")
    timing = timing_after(state, Timing(None, None, 0), now)
    rows = []
    for slot_run in slot_runs:
        rows.append({
            "id": new_id(),
            "flow_id": slot_run.flow_id,
            "flow_version_id": slot_run.flow_version_id,
            "name": run_name(),
            "parameters": slot_run.parameters,
            "state": state.value,
            "state_message": slot_run.message,
            "created": now,
            "updated": now,
            "start_time": timing.start_time,
            "end_time": timing.end_time,
            "run_count": timing.run_count,
            "entrypoint": slot_run.entrypoint,
            "tags": list(slot_run.tags),
            "parent_flow_run_id": None,
            "parent_task_run_id": None,
            **result_values(None),
            "deployment_id": slot_run.deployment_id,
            "schedule_id": slot_run.schedule_id,
            "scheduled_time": slot_run.slot,
            "idempotency_key": slot_run.idempotency_key,
            "is_backfill": slot_run.is_backfill,
            "late": False,
            "lease_epoch": 0,
            "crash_count": 0,
            "priority": slot_run.priority,
        })
    inserted = schedules.insert_runs_once(conn, rows)
    new_rows = [row for row in rows if row["id"] in inserted]
    events.insert_events(conn, [
        StateEvent(row["id"], "flow", None, state, now, row["state_message"]) for row in new_rows
    ], TimestampMemo())
    origins: dict[str, Origin] = {
        row["id"]: (slot_run.flow_name, slot_run.deployment_id, slot_run.deployment_name)
        for row, slot_run in zip(rows, slot_runs, strict=True)
        if row["id"] in inserted and slot_run.flow_name is not None
        and slot_run.deployment_name is not None
    }
    record_run_changes(conn, [
        RunChange(row["id"], row["name"], tuple(row["tags"]), None, state, row["state_message"])
        for row in new_rows
    ], now, origins=origins)
    return new_rows
