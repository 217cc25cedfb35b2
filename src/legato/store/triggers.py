"""Queries for deployment triggers: replace a deployment's list, read them with their
deployment's names, switch one on or off, and save what an evaluation changed (all-of
state, last firing)."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, false, insert, select, update

from legato.core.ids import new_id
from legato.core.triggers import TriggerRecord, TriggerSpec, parse_trigger
from legato.errors import ParameterError
from legato.store.tables import deployments, flows, triggers

_log = logging.getLogger("legato.triggers")

_COLUMNS = (
    *triggers.c,
    deployments.c.name.label("deployment_name"),
    flows.c.name.label("flow_name"),
)


def _record(row: Row[Any]) -> TriggerRecord:
    return TriggerRecord(
        id=row.id, deployment_id=row.deployment_id, deployment_name=row.deployment_name,
        flow_name=row.flow_name, position=row.position,
        spec=parse_trigger(row.spec, f"stored trigger {row.id}"), state=dict(row.state or {}),
        last_fired=row.last_fired, fired_count=row.fired_count, created=row.created,
    )


def replace_triggers(
    conn: Connection, deployment_id: str, specs: Sequence[TriggerSpec], now: datetime
) -> None:
    """Make `specs` the deployment's triggers; a trigger whose spec is unchanged keeps its
    id, state and firing history, so redeploying does not re-arm it."""
    old = {
        (row.position, _key(row.spec)): row
        for row in conn.execute(select(triggers).where(triggers.c.deployment_id == deployment_id))
    }
    kept: set[str] = set()
    for position, spec in enumerate(specs):
        found = old.get((position, _key(spec.to_dict())))
        if found is not None:
            kept.add(found.id)
            continue
        conn.execute(insert(triggers).values(
            id=new_id(), deployment_id=deployment_id, position=position, spec=spec.to_dict(),
            enabled=spec.enabled, state={}, last_fired=None, fired_count=0, created=now,
            updated=now))
    stale = [row.id for row in old.values() if row.id not in kept]
    if stale:
        conn.execute(delete(triggers).where(triggers.c.id.in_(stale)))


def _key(spec: dict[str, Any]) -> str:
    return json.dumps(spec, sort_keys=True)


def read_triggers(conn: Connection, deployment_id: str | None = None) -> list[TriggerRecord]:
    """Triggers of one deployment (or all), by deployment name and position."""
    query = (
        select(*_COLUMNS)
        .join(deployments, deployments.c.id == triggers.c.deployment_id)
        .join(flows, flows.c.id == deployments.c.flow_id)
    )
    if deployment_id is not None:
        query = query.where(triggers.c.deployment_id == deployment_id)
    query = query.order_by(flows.c.name, deployments.c.name, triggers.c.position)
    return [_record(row) for row in conn.execute(query)]


def armed_triggers(conn: Connection) -> list[TriggerRecord]:
    """Enabled triggers of deployments that are not paused: the ones an event can fire."""
    query = (
        select(*_COLUMNS)
        .join(deployments, deployments.c.id == triggers.c.deployment_id)
        .join(flows, flows.c.id == deployments.c.flow_id)
        .where(triggers.c.enabled.is_(True), deployments.c.paused == false())
        .order_by(triggers.c.created, triggers.c.id)
    )
    armed = []
    for row in conn.execute(query):
        try:
            armed.append(_record(row))
        except ParameterError as error:  # Promise 6: one bad row does not stop the others
            _log.warning("trigger %s is malformed and is skipped: %s", row.id, error)
    return armed


def save_trigger(
    conn: Connection, trigger_id: str, state: dict[str, str], last_fired: datetime | None,
    fired_count: int, now: datetime,
) -> None:
    conn.execute(
        update(triggers)
        .where(triggers.c.id == trigger_id)
        .values(state=state, last_fired=last_fired, fired_count=fired_count, updated=now)
    )


def set_enabled(conn: Connection, trigger_id: str, enabled: bool, now: datetime) -> bool:
    """Switch a trigger on or off, keeping its history; False when it does not exist. The
    stored spec says it too, so a redeploy of the same list keeps the switch."""
    row = conn.execute(select(triggers.c.spec).where(triggers.c.id == trigger_id)).first()
    if row is None:
        return False
    spec = {key: value for key, value in dict(row.spec).items() if key != "enabled"}
    if not enabled:
        spec["enabled"] = False
    conn.execute(update(triggers).where(triggers.c.id == trigger_id)
                 .values(spec=spec, enabled=enabled, updated=now))
    return True


def read_trigger(conn: Connection, trigger_id: str) -> TriggerRecord | None:
    query = (
        select(*_COLUMNS)
        .join(deployments, deployments.c.id == triggers.c.deployment_id)
        .join(flows, flows.c.id == deployments.c.flow_id)
        .where(triggers.c.id == trigger_id)
    )
    row = conn.execute(query).first()
    return None if row is None else _record(row)
