"""Wire models for events: the body a webhook or `emit_event` posts, a stored event, and a
page of them. Names, resources and payload size are bounded here and checked again by the
orchestration layer."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StringConstraints

from legato.core.events import (
    MAX_EVENT_NAME,
    MAX_RELATED,
    MAX_RESOURCE,
    NAME_PATTERN,
    EventRecord,
    NewEvent,
)
from legato.schemas.api import Page
from legato.schemas.fields import Id, Timestamp
from legato.schemas.records import WireModel

EventName = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_EVENT_NAME, pattern=NAME_PATTERN)
]
Resource = Annotated[str, StringConstraints(min_length=1, max_length=MAX_RESOURCE)]


class EventBody(WireModel):
    """An event to store: `{"name": "orders.created", "payload": {...}}`. Give `id` to make
    retried deliveries idempotent; `occurred` defaults to the time the server receives it."""

    name: EventName
    payload: dict[str, Any] = Field(default_factory=dict)
    resource: Resource | None = None
    related: list[Resource] = Field(default_factory=list, max_length=MAX_RELATED)
    occurred: Timestamp | None = None
    id: Id | None = None

    @classmethod
    def from_new(cls, event: NewEvent) -> EventBody:
        return cls(
            name=event.name, payload=dict(event.payload), resource=event.resource,
            related=list(event.related), occurred=event.occurred, id=event.id,
        )

    def to_new(self) -> NewEvent:
        return NewEvent(
            name=self.name, payload=self.payload, resource=self.resource,
            related=tuple(self.related), occurred=self.occurred, id=self.id,
        )


class EventModel(WireModel):
    """A stored event; `seq` orders events as they were stored."""

    seq: int = Field(ge=0)
    id: Id
    name: str = Field(max_length=MAX_EVENT_NAME)
    occurred: Timestamp
    received: Timestamp
    resource: str = Field(max_length=MAX_RESOURCE)
    payload: dict[str, Any]
    related: list[str] = Field(default_factory=list)

    @classmethod
    def from_record(cls, record: EventRecord) -> EventModel:
        return cls(
            seq=record.seq, id=record.id, name=record.name, occurred=record.occurred,
            received=record.received, resource=record.resource, payload=record.payload,
            related=list(record.related),
        )

    def to_record(self) -> EventRecord:
        return EventRecord(
            seq=self.seq, id=self.id, name=self.name, occurred=self.occurred,
            received=self.received, resource=self.resource, payload=self.payload,
            related=tuple(self.related),
        )


class EventPage(Page[EventModel]):
    """A page of events, newest first."""
