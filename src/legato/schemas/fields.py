"""Bounded field types for the wire models: ids, names, keys, text, aware timestamps and
base64-encoded bytes. Every string and number that crosses the API has a limit here."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    Field,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
)

ID_PATTERN = r"^[A-Za-z0-9_-]{1,36}$"
MAX_ID = 36
MAX_NAME = 255
MAX_KEY = 512
MAX_PATH = 4096
MAX_TEXT = 1024 * 1024
MAX_SOURCE = 16 * 1024 * 1024
MAX_INT = 2**31 - 1
MAX_ITEMS = 100_000

Id = Annotated[str, StringConstraints(pattern=ID_PATTERN, max_length=MAX_ID)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=MAX_NAME)]
Key = Annotated[str, StringConstraints(min_length=1, max_length=MAX_KEY)]
Path = Annotated[str, StringConstraints(max_length=MAX_PATH)]
Text = Annotated[str, StringConstraints(max_length=MAX_TEXT)]
Source = Annotated[str, StringConstraints(max_length=MAX_SOURCE)]
Count = Annotated[int, Field(ge=0, le=MAX_INT)]


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


# Aware datetimes only (a naive one is a 422), handed to records in UTC.
Timestamp = Annotated[AwareDatetime, AfterValidator(_to_utc)]


def _decode_base64(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("is not valid base64; encode the bytes with standard base64") from None
    return value


def _encode_base64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


# Bytes travel as standard base64 text; the server stores them as given and never decodes
# their contents (no unpickling).
Base64Bytes = Annotated[
    bytes,
    BeforeValidator(_decode_base64),
    PlainSerializer(_encode_base64, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "contentEncoding": "base64"}),
]
