"""Events for InMemoryBackend, checked as the real store checks them: kept apart so the
in-memory backend stays one concept per module."""

from __future__ import annotations

import threading
from datetime import datetime

from legato._clock import Clock
from legato.core.events import EventRecord, NewEvent, check_new_event
from legato.core.ids import new_id
from legato.errors import ParameterError


class InMemoryEvents:
    """Mixed into InMemoryBackend, which provides the attributes declared here.

    Flow-run state changes are not recorded as events here; only emitted ones are."""

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
