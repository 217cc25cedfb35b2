"""Events for InMemoryBackend, checked as the real store checks them: kept apart so the
in-memory backend stays one concept per module."""

from __future__ import annotations

import threading
from datetime import datetime

from legato._clock import Clock
from legato.core.events import (
    EventRecord,
    NewEvent,
    check_new_event,
    flow_run_event_name,
    flow_run_resource,
)
from legato.core.ids import new_id
from legato.core.records import FlowRunRecord
from legato.core.states import StateType
from legato.errors import ParameterError
from legato.orchestration.run_events import RunChange, flow_run_payload, related_resources


class InMemoryEvents:
    """Mixed into InMemoryBackend, which provides the attributes declared here; it calls
    `_flow_run_event` for every flow-run state it stores, as the orchestration layer does."""

    clock: Clock
    _lock: threading.RLock
    emitted: list[EventRecord]

    def emit_event(self, event: NewEvent) -> EventRecord:
        check_new_event(event, f"event {event.name!r}")
        with self._lock:
            if event.id is not None:
                for stored in self.emitted:
                    if stored.id == event.id:
                        return stored
            now = self.clock.now()
            event_id = event.id or new_id()
            record = EventRecord(
                seq=len(self.emitted) + 1, id=event_id, name=event.name,
                occurred=event.occurred or now, received=now,
                resource=event.resource or f"legato.event.{event_id}",
                payload=dict(event.payload), related=tuple(event.related),
            )
            self.emitted.append(record)
            return record

    def _flow_run_event(self, run: FlowRunRecord, from_state: StateType | None,
                        to_state: StateType, at: datetime, message: str | None) -> None:
        change = RunChange(run.id, run.name, run.tags, from_state, to_state, message)
        origin = (run.flow_name, None, None)
        self.emitted.append(EventRecord(
            seq=len(self.emitted) + 1, id=new_id(), name=flow_run_event_name(to_state),
            occurred=at, received=at, resource=flow_run_resource(run.id),
            payload=flow_run_payload(change, origin),
            related=tuple(related_resources(change, origin))))

    def list_events(
        self,
        *,
        name: str | None = None,
        prefix: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[EventRecord]:
        if limit < 0 or offset < 0:
            raise ParameterError(
                f"list_events got limit={limit}, offset={offset}; both must be 0 or more.")
        with self._lock:
            found = [
                e for e in reversed(self.emitted)
                if (name is None or e.name == name)
                and (prefix is None or e.name.startswith(prefix))
                and (since is None or e.occurred >= since)
                and (until is None or e.occurred < until)
            ]
        return found[offset:offset + limit]
