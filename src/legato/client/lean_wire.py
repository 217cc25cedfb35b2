"""The few request bodies and responses a run's process exchanges with the server (write
batches, state changes, cache entries, its flow run and task runs), encoded with orjson and
decoded into the core records without building a pydantic wire model. The server's models in
`legato.schemas` stay the one schema: tests/unit/client/test_lean_wire.py holds these to them."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Any

import orjson

from legato.core.records import FlowRunRecord, ResultRef, TaskRunRecord, WriteBatch
from legato.core.states import StateType
from legato.errors import ParameterError

_FLOW_RUN_TIMES = ("created", "updated", "start_time", "end_time", "scheduled_time")
_TASK_RUN_TIMES = ("created", "updated", "start_time", "end_time")
# Non-string keys become strings, as pydantic's JSON does for dict[str, Any] fields.
_OPTIONS = orjson.OPT_NON_STR_KEYS


class MalformedBody(ValueError):
    """A response body that is not the record it should be."""


def _bytes(value: object) -> str:
    if isinstance(value, bytes):  # a result's inline data travels base64-encoded
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"type {type(value).__name__} is not JSON serializable")


def dumps(body: object, what: str) -> bytes:
    """`body` as JSON (records field by field, bytes base64); ParameterError naming `what`
    when it holds a value JSON cannot carry."""
    try:
        return orjson.dumps(body, default=_bytes, option=_OPTIONS)
    except TypeError as error:  # orjson.JSONEncodeError is a TypeError
        raise ParameterError(
            f"{what} holds a value that cannot be sent as JSON ({error}); pass JSON-compatible "
            "values (str, int, float, bool, None, lists, dicts)."
        ) from None


def encode_write_batch(batch: WriteBatch) -> bytes:
    """The body of POST /write-batches: the batch's records are the wire fields (orjson
    writes dataclasses field by field, enums by value and bytes through `_bytes`)."""
    return dumps(batch, "write batch")


def encode_set_state(state: StateType, message: str | None, result: ResultRef | None,
                     force: bool, epoch: int | None, what: str) -> bytes:
    """The body of POST /flow-runs/{id}/state."""
    try:
        state = StateType(state)
    except ValueError:
        raise ParameterError(
            f"{what} names state {state!r}, which is not one; pass a StateType."
        ) from None
    return dumps({"state": state, "message": message, "result": result,
                   "force": force, "epoch": epoch}, what)


def encode_cache_write(key: str, result: ResultRef, expires: datetime | None) -> bytes:
    """The body of POST /cache-entries."""
    return dumps({"key": key, "result": result, "expires": expires}, f"cache entry {key!r}")


def fields_of(value: object) -> dict[str, Any]:
    """`value` if it is a JSON object; MalformedBody otherwise."""
    if not isinstance(value, dict):
        raise MalformedBody("not an object")
    return value


def timestamp(value: object) -> datetime | None:
    """An aware UTC datetime from ISO text (None stays None); MalformedBody otherwise."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise MalformedBody(f"{value!r} is not a timestamp")
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise MalformedBody(f"{value!r} has no time zone")
    return moment.astimezone(UTC)


def _result(value: object) -> ResultRef | None:
    if value is None:
        return None
    fields = fields_of(value)
    data = fields.get("data")
    try:
        raw = None if data is None else base64.b64decode(data, validate=True)
    except (binascii.Error, TypeError) as error:
        raise MalformedBody(f"a result's data is not base64 ({error})") from None
    return ResultRef(fields["serializer"], fields["storage"], raw, fields.get("path"))


def flow_run(value: object) -> FlowRunRecord:
    """A FlowRunRecord from a decoded FlowRunModel body."""
    fields = dict(fields_of(value))
    for name in _FLOW_RUN_TIMES:
        fields[name] = timestamp(fields.get(name))
    fields["state"] = StateType(fields["state"])
    fields["tags"] = tuple(fields.get("tags") or ())
    fields["result"] = _result(fields.get("result"))
    if not isinstance(fields["parameters"], dict):
        raise MalformedBody("the run's parameters are not an object")
    return FlowRunRecord(**fields)


def task_run(value: object) -> TaskRunRecord:
    """A TaskRunRecord from a decoded TaskRunModel body."""
    fields = dict(fields_of(value))
    for name in _TASK_RUN_TIMES:
        fields[name] = timestamp(fields.get(name))
    fields["state"] = StateType(fields["state"])
    fields["result"] = _result(fields.get("result"))
    return TaskRunRecord(**fields)


def task_run_page(value: object) -> tuple[list[TaskRunRecord], int | None]:
    """The task runs of a decoded TaskRunPage body and its next offset."""
    fields = fields_of(value)
    items = fields["items"]
    if not isinstance(items, list):
        raise MalformedBody("its items are not a list")
    next_offset = fields.get("next_offset")
    if next_offset is not None and not isinstance(next_offset, int):
        raise MalformedBody("its next_offset is not a number")
    return [task_run(item) for item in items], next_offset


def cache_entry(value: object) -> ResultRef | None:
    """The result of a decoded CacheEntryModel body (None when there is no live entry)."""
    return _result(fields_of(value).get("result"))


def limited_tags(value: object) -> frozenset[str]:
    """The tags of a decoded LimitedTagsModel body."""
    tags = fields_of(value)["tags"]
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise MalformedBody("its tags are not a list of names")
    return frozenset(tags)


def decode(content: bytes) -> object:
    """The JSON of a response body; MalformedBody if it is not JSON."""
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError as error:
        raise MalformedBody(f"not JSON ({error})") from None
