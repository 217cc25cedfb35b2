"""Wire models for secrets and variables. A secret's value only goes in (SecretWriteBody)
and out of the one value endpoint runs use (SecretValueModel); listings and the answer to a
write carry names and dates only."""

from __future__ import annotations

from typing import Any

from pydantic import Field, SecretStr, field_serializer

from legato.core.secrets import MAX_SECRET_BYTES, SecretInfo, VariableRecord
from legato.schemas.api import Page
from legato.schemas.fields import Name, Timestamp
from legato.schemas.records import WireModel


class SecretWriteBody(WireModel):
    """A secret's new value (never sent back). With `overwrite: false`, a stored secret
    is left as it is and the request answers 409."""

    value: SecretStr = Field(max_length=MAX_SECRET_BYTES)
    overwrite: bool = True

    # repr() and str() show stars; only the JSON sent on the wire carries the value.
    @field_serializer("value", when_used="json")
    def _reveal(self, value: SecretStr) -> str:
        return value.get_secret_value()


class SecretModel(WireModel):
    """What the API shows of a secret: name and dates."""

    name: Name
    created: Timestamp
    updated: Timestamp

    @classmethod
    def from_info(cls, info: SecretInfo) -> SecretModel:
        return cls(name=info.name, created=info.created, updated=info.updated)

    def to_info(self) -> SecretInfo:
        return SecretInfo(self.name, self.created, self.updated)


class SecretPage(Page[SecretModel]):
    """A page of secrets by name, without values."""


class SecretValueModel(WireModel):
    """A secret's value, for a flow run that loads it (operators only, audited)."""

    name: Name
    value: SecretStr

    @field_serializer("value", when_used="json")
    def _reveal(self, value: SecretStr) -> str:
        return value.get_secret_value()


class VariableWriteBody(WireModel):
    """A variable's JSON value; with `overwrite: false` a stored variable answers 409."""

    value: Any = None
    overwrite: bool = True


class VariableModel(WireModel):
    """A variable with its JSON value and dates."""

    name: Name
    value: Any = None
    created: Timestamp
    updated: Timestamp

    @classmethod
    def from_record(cls, record: VariableRecord) -> VariableModel:
        return cls(name=record.name, value=record.value, created=record.created,
                   updated=record.updated)

    def to_record(self) -> VariableRecord:
        return VariableRecord(self.name, self.value, self.created, self.updated)


class VariablePage(Page[VariableModel]):
    """A page of variables by name."""
