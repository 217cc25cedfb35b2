"""TriggerService: reads the events stored since its cursor, in order, and fires the deployment
triggers they satisfy, making one SCHEDULED run per (trigger, event). `tick(now)` is one pass
(fake-clock testable); `run(stop)` is the loop `legato server` keeps beside the API."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from legato._clock import SYSTEM_CLOCK, Clock
from legato.core.events import EventRecord
from legato.core.parameter_check import check_parameters
from legato.core.triggers import (
    TriggerKind,
    TriggerRecord,
    TriggerSpec,
    matches,
    render_parameters,
)
from legato.errors import LegatoError, NotFound
from legato.orchestration import deployments as door
from legato.orchestration.deployments import SlotRun
from legato.store import deployments as deployment_rows
from legato.store import event_log, flows
from legato.store import triggers as trigger_rows
from legato.store.database import Connection, Database

_log = logging.getLogger("legato.triggers")
CURSOR = "triggers"
DEFAULT_BATCH = 500
# How long a gap in event seq may stay open before it is taken as a rolled-back insert
# rather than a transaction that has not committed yet (PostgreSQL hands out seq values
# before commit, so a lower one can appear after a higher one).
DEFAULT_SETTLE_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class TriggerTick:
    """What one tick did: events read, runs made, and events it stopped before (a gap)."""

    events: int = 0
    fired: int = 0
    waiting: bool = False


def trigger_key(trigger_id: str, event_id: str) -> str:
    """The idempotency key of the run a trigger makes for an event: at most one each."""
    return f"trigger:{trigger_id}:{event_id}"


class TriggerService:
    """Evaluates deployment triggers against new events.

    >>> TriggerService(db, FakeClock(now)).tick(now).fired
    1
    """

    def __init__(self, db: Database, clock: Clock = SYSTEM_CLOCK, *,
                 batch_size: int = DEFAULT_BATCH,
                 settle_seconds: float = DEFAULT_SETTLE_SECONDS) -> None:
        self.db = db
        self.clock = clock
        self.batch_size = batch_size
        self.settle = timedelta(seconds=settle_seconds)

    def tick(self, now: datetime | None = None) -> TriggerTick:
        """Handle the events after the cursor, in seq order, in one transaction with the
        runs they make and the moved cursor. The first tick ever starts at the newest event
        (history does not fire triggers)."""
        now = self.clock.now() if now is None else now
        with self.db.writing() as conn:
            cursor = event_log.read_cursor(conn, CURSOR, for_update=True)
            if cursor is None:
                # -1: no event yet, so the first to arrive is new whatever seq it gets.
                event_log.write_cursor(conn, CURSOR, event_log.last_seq(conn) or -1, now)
                return TriggerTick()
            # Read before the triggers: an event stored after a trigger is armed is newer.
            newest = event_log.last_seq(conn)
            armed = trigger_rows.armed_triggers(conn)
            if not armed:
                # Nothing can fire: skip to the newest event without reading any (a trigger
                # armed later ignores events received before it was created anyway).
                if newest > cursor:
                    event_log.write_cursor(conn, CURSOR, newest, now)
                return TriggerTick()
            events = event_log.events_after(conn, cursor, self.batch_size)
            if not events:
                return TriggerTick()
            fired, handled, waiting = 0, 0, False
            states = {t.id: (dict(t.state), t.last_fired, t.fired_count) for t in armed}
            for event in events:
                if cursor >= 0 and event.seq != cursor + 1 and now - event.received < self.settle:
                    waiting = True
                    break
                for trigger in armed:
                    fired += self._consider(conn, trigger, event, states, now)
                cursor = event.seq
                handled += 1
            for trigger in armed:
                state, last_fired, count = states[trigger.id]
                if (state, last_fired, count) != (trigger.state, trigger.last_fired,
                                                  trigger.fired_count):
                    trigger_rows.save_trigger(conn, trigger.id, state, last_fired, count, now)
            event_log.write_cursor(conn, CURSOR, cursor, now)
        if fired:
            _log.info("triggers made %d run(s) from %d event(s)", fired, handled)
        return TriggerTick(handled, fired, waiting)

    def _consider(self, conn: Connection, trigger: TriggerRecord, event: EventRecord,
                  states: dict[str, tuple[dict[str, str], datetime | None, int]],
                  now: datetime) -> int:
        spec = trigger.spec
        if event.received < trigger.created or not matches(spec, event):
            return 0
        state, last_fired, count = states[trigger.id]
        if spec.kind is TriggerKind.ASSET and spec.all_of:
            state = dict(state)
            state[event.resource] = event.received.isoformat()
            if spec.within_seconds is not None:
                oldest = event.received - timedelta(seconds=spec.within_seconds)
                state = {a: t for a, t in state.items() if datetime.fromisoformat(t) >= oldest}
            states[trigger.id] = (state, last_fired, count)
            if not all(asset in state for asset in spec.assets):
                return 0
        if (last_fired is not None and spec.debounce_seconds
                and event.received < last_fired + timedelta(seconds=spec.debounce_seconds)):
            return 0
        made = self._fire(conn, trigger, event, now)
        cleared = {} if spec.all_of else state
        states[trigger.id] = (cleared, event.received if made else last_fired, count + made)
        return made

    def _fire(self, conn: Connection, trigger: TriggerRecord, event: EventRecord,
              now: datetime) -> int:
        """Make the run; a template or parameter problem is logged and skips this firing
        (Promise 6: one bad trigger does not stop the others)."""
        found = deployment_rows.read_deployments(conn, [trigger.deployment_id])
        if not found:
            return 0
        deployment = found[0]
        spec = deployment.spec
        try:
            mapped = render_parameters(trigger.spec.parameters, event)
            parameters: dict[str, Any] = {**spec.parameters, **mapped}
            if spec.parameter_schema is not None:
                check_parameters(parameters, spec.parameter_schema,
                                 f"run of deployment {spec.name!r} by trigger {trigger.id}")
        except LegatoError as error:
            _log.warning("trigger %s of deployment %r did not fire for event %s: %s",
                         trigger.id, spec.name, event.id, error)
            return 0
        return door.insert_slot_runs(conn, [SlotRun(
            deployment_id=deployment.id,
            flow_id=flows.ensure_flow(conn, spec.flow_name, now),
            flow_version_id=spec.flow_version_id,
            entrypoint=spec.entrypoint,
            parameters=parameters,
            tags=spec.tags,
            schedule_id=None,
            slot=now,
            idempotency_key=trigger_key(trigger.id, event.id),
            message=f"triggered by event {event.name} ({event.id}): {trigger.spec.describe()}",
        )], now)

    def run(self, stop: threading.Event, *, interval_seconds: float = 1.0) -> None:
        """Tick until `stop` is set; a failed tick is logged and retried next time."""
        while not stop.is_set():
            try:
                result = self.tick()
            except Exception:  # Promise 6: the loop outlives a bad tick
                _log.exception("trigger tick failed; retrying in %s s", interval_seconds)
                result = TriggerTick()
            if result.events < self.batch_size:
                stop.wait(interval_seconds)


def set_triggers(db: Database, deployment_id: str, specs: list[TriggerSpec],
                 now: datetime) -> list[TriggerRecord]:
    """Replace a deployment's triggers (unchanged ones keep their history); NotFound for an
    unknown deployment."""
    with db.writing() as conn:
        if not deployment_rows.read_deployments(conn, [deployment_id]):
            raise door.deployment_not_found(deployment_id)
        trigger_rows.replace_triggers(conn, deployment_id, specs, now)
        return trigger_rows.read_triggers(conn, deployment_id)


def list_triggers(db: Database, deployment_id: str | None = None) -> list[TriggerRecord]:
    """Every trigger (or one deployment's: NotFound when it does not exist)."""
    with db.reading() as conn:
        if deployment_id is not None and not deployment_rows.read_deployments(
                conn, [deployment_id]):
            raise door.deployment_not_found(deployment_id)
        return trigger_rows.read_triggers(conn, deployment_id)


def set_trigger_enabled(db: Database, trigger_id: str, enabled: bool,
                        now: datetime) -> TriggerRecord:
    """Switch one trigger on or off (its firing history stays); NotFound for an unknown id."""
    with db.writing() as conn:
        found = trigger_rows.set_enabled(conn, trigger_id, enabled, now)
        record = trigger_rows.read_trigger(conn, trigger_id) if found else None
    if record is None:
        raise NotFound(f"trigger {trigger_id!r} does not exist; check the id (GET /api/v1/triggers).")
    return record
