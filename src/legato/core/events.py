"""Events: named facts with a resource and a JSON payload (a flow run reached a state, an asset
was updated, a webhook arrived). The records that cross the Backend boundary, the names Legato
emits itself, and the checks every event passes wherever it comes from."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from legato.core.states import StateType
from legato.errors import ParameterError

FLOW_RUN_PREFIX = "legato.flow-run."
ASSET_UPDATED = "legato.asset.updated"
FLOW_RUN_LATE = "legato.flow-run.late"
# Only the orchestration layer may emit these: a webhook claiming "flow run X completed" would
# otherwise fire every trigger that waits for X.
RESERVED_PREFIXES = (FLOW_RUN_PREFIX,)

MAX_EVENT_NAME = 255
MAX_RESOURCE = 512
MAX_RELATED = 32
MAX_PAYLOAD_BYTES = 64 * 1024
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:/-]*$"
_NAME_RE = re.compile(NAME_PATTERN)


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event to store. `id` lets a sender retry without duplicates; `occurred` defaults to
    the time the backend receives it."""

    name: str
    payload: dict[str, Any] = field(default_factory=dict)
    resource: str | None = None
    related: tuple[str, ...] = ()
    occurred: datetime | None = None
    id: str | None = None


@dataclass(frozen=True, slots=True)
class EventRecord:
    """A stored event. `seq` orders events as they were stored (use it as a cursor)."""

    seq: int
    id: str
    name: str
    occurred: datetime
    received: datetime
    resource: str
    payload: dict[str, Any]
    related: tuple[str, ...] = ()


def flow_run_resource(flow_run_id: str) -> str:
    return f"legato.flow-run.{flow_run_id}"


def flow_run_event_name(state: StateType) -> str:
    """`legato.flow-run.completed` for COMPLETED, and so on for every state."""
    return f"{FLOW_RUN_PREFIX}{state.value.lower()}"


def check_event_name(name: str, place: str, *, internal: bool = False) -> None:
    """Refuse an event name that is empty, too long, has characters outside letters, digits
    and `_ . : / -`, or (unless `internal`) uses a name only Legato itself emits."""
    if not isinstance(name, str) or not name or len(name) > MAX_EVENT_NAME:
        raise ParameterError(
            f"{place} has event name {name!r}; give 1 to {MAX_EVENT_NAME} characters.",
            [("name", "bad length")],
        )
    if not _NAME_RE.match(name):
        raise ParameterError(
            f"{place} has event name {name!r}; use letters, digits and '_ . : / -', starting "
            "with a letter or digit (such as 'orders.created').",
            [("name", "bad characters")],
        )
    if not internal and name.startswith(RESERVED_PREFIXES):
        raise ParameterError(
            f"{place} has event name {name!r}, which only Legato emits; choose a name outside "
            f"{', '.join(RESERVED_PREFIXES)}.",
            [("name", "reserved")],
        )


def check_new_event(event: NewEvent, place: str, *, internal: bool = False) -> None:
    """Every check an event passes before it is stored: name, resource, related, payload size
    (as compact JSON) and JSON-compatibility of the payload."""
    check_event_name(event.name, place, internal=internal)
    if not isinstance(event.payload, Mapping):
        raise ParameterError(
            f"{place} has a payload of type {type(event.payload).__name__}; give a JSON object.",
            [("payload", "not an object")],
        )
    for what, text in [("resource", event.resource), *(("related", r) for r in event.related)]:
        if text is not None and (not isinstance(text, str) or not 0 < len(text) <= MAX_RESOURCE):
            raise ParameterError(
                f"{place} has {what} {text!r}; give 1 to {MAX_RESOURCE} characters.",
                [(what, "bad length")],
            )
    if len(event.related) > MAX_RELATED:
        raise ParameterError(
            f"{place} has {len(event.related)} related resources; give at most {MAX_RELATED}.",
            [("related", "too many")],
        )
    try:
        size = len(json.dumps(event.payload, separators=(",", ":"), allow_nan=False))
    except (TypeError, ValueError, RecursionError) as error:
        raise ParameterError(
            f"{place} has a payload that is not plain JSON ({error}); use str, int, float, "
            "bool, None, lists and dicts with string keys.",
            [("payload", "not JSON")],
        ) from None
    if size > MAX_PAYLOAD_BYTES:
        raise ParameterError(
            f"{place} has a payload of {size} bytes; keep it under {MAX_PAYLOAD_BYTES} bytes "
            "(store big data elsewhere and send its URL).",
            [("payload", "too large")],
        )


def name_matches(pattern: str, name: str) -> bool:
    """Whether an event name matches a pattern: exact, `*` for any name, or `prefix.*` for
    every name under the prefix (`orders.*` matches `orders.created`, not `orders`).

    >>> name_matches("orders.*", "orders.created")
    True
    """
    if pattern == "*":
        return True
    if pattern.endswith(".*"):
        return name.startswith(pattern[:-1])
    return pattern == name


_MISSING = object()


def dotted_get(data: Any, path: str) -> Any:
    """The value at a dotted path (`order.lines.0.sku`) in nested dicts and lists, or a
    private sentinel (see `is_missing`) when any step is absent."""
    current = data
    for part in path.split("."):
        if isinstance(current, Mapping) and part in current:
            current = current[part]
        elif isinstance(current, Sequence) and not isinstance(current, str) and part.isdigit():
            index = int(part)
            if index >= len(current):
                return _MISSING
            current = current[index]
        else:
            return _MISSING
    return current


def is_missing(value: Any) -> bool:
    return value is _MISSING


def payload_matches(match: Mapping[str, Any], event: EventRecord) -> bool:
    """Whether every dotted path of `match` equals the given value. Paths start at the event:
    `payload.region`, `resource`, `name`; a path without one of those roots is read in the
    payload (`region` is `payload.region`)."""
    document = event_document(event)
    for path, expected in match.items():
        root = path.split(".", 1)[0]
        full = path if root in document else f"payload.{path}"
        found = dotted_get(document, full)
        if is_missing(found) or found != expected:
            return False
    return True


def event_document(event: EventRecord) -> dict[str, Any]:
    """The event as the nested document filters and parameter templates read."""
    return {
        "id": event.id,
        "name": event.name,
        "resource": event.resource,
        "related": list(event.related),
        "occurred": event.occurred.isoformat(),
        "payload": event.payload,
    }
