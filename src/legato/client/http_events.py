"""Events over the REST API, mixed into HttpBackend: emit one (with an id made here, so a
retried POST stores it once) and list them page by page."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from legato.core.events import EventRecord, NewEvent, check_new_event
from legato.core.ids import new_id
from legato.core.wire import MAX_PAGE
from legato.errors import ParameterError

if TYPE_CHECKING:
    from legato.schemas.events import EventPage


class HttpEvents:
    """Mixed into HttpBackend, which provides `_get` and `_post_for`."""

    _get: Callable[..., Any]
    _post_for: Callable[..., Any]

    def emit_event(self, event: NewEvent) -> EventRecord:
        # Imported here: a run's process that emits no event builds no wire model.
        from legato.schemas.events import EventBody, EventModel

        check_new_event(event, f"event {event.name!r}")
        if event.id is None:
            event = dataclasses.replace(event, id=new_id())
        sent = event
        model: EventModel = self._post_for(
            "/events", lambda: EventBody.from_new(sent), EventModel, idempotent=True,
            what=f"event {event.name!r}")
        return model.to_record()

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
        from legato.schemas.events import EventPage  # listing is not a run's work

        if limit < 0 or offset < 0:
            raise ParameterError(
                f"list_events got limit={limit}, offset={offset}; both must be 0 or more.")
        filters: list[tuple[str, str | int]] = []
        for key, text in (("name", name), ("prefix", prefix)):
            if text is not None:
                filters.append((key, text))
        for key, moment in (("since", since), ("until", until)):
            if moment is not None:
                filters.append((key, moment.isoformat()))
        found: list[EventRecord] = []
        next_offset: int | None = offset
        while next_offset is not None and len(found) < limit:
            size = min(limit - len(found), MAX_PAGE)
            page: EventPage = self._get(
                "/events", EventPage, [*filters, ("limit", size), ("offset", next_offset)])
            found.extend(item.to_record() for item in page.items)
            next_offset = page.next_offset
        return found
