"""Wire models for deployment triggers: the list a deployer puts (each item the dict form of
`core.triggers`, checked there so the API, YAML and the CLI share one set of rules) and a
stored trigger."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from legato.core.triggers import TriggerRecord
from legato.schemas.api import Page
from legato.schemas.fields import Id, Name, Timestamp
from legato.schemas.records import WireModel

MAX_TRIGGERS = 50


class TriggerListBody(WireModel):
    """All triggers of a deployment, replacing the ones it has (an empty list removes them):
    `{"triggers": [{"deployment": "etl/nightly", "states": ["completed"]},
    {"event": "orders.*", "parameters": {"date": "{{ event.payload.date }}"}}]}`."""

    triggers: list[dict[str, Any]] = Field(max_length=MAX_TRIGGERS)


class TriggerModel(WireModel):
    """A stored trigger: its dict form, a readable summary, and its firing history."""

    id: Id
    deployment_id: Id
    deployment_name: Name
    flow_name: Name
    position: int
    trigger: dict[str, Any]
    description: str
    enabled: bool
    state: dict[str, str]
    last_fired: Timestamp | None
    fired_count: int
    created: Timestamp

    @classmethod
    def from_record(cls, record: TriggerRecord) -> TriggerModel:
        return cls(
            id=record.id, deployment_id=record.deployment_id,
            deployment_name=record.deployment_name, flow_name=record.flow_name,
            position=record.position, trigger=record.spec.to_dict(),
            description=record.spec.describe(), enabled=record.spec.enabled,
            state=record.state,
            last_fired=record.last_fired, fired_count=record.fired_count,
            created=record.created,
        )


class TriggerUpdateBody(WireModel):
    """Switch a trigger on or off: `{"enabled": false}`."""

    enabled: bool


class TriggerPage(Page[TriggerModel]):
    """Triggers by flow, deployment and position."""
