"""What a worker hands the process of a run it claimed: the run's record and its pinned flow
version, as one word of text (base64 of JSON). Plain records and orjson on both sides, so a
fresh run's process decodes it without building a wire model before its first line."""

from __future__ import annotations

import base64
import binascii
import dataclasses
from datetime import datetime
from typing import Any

import orjson

from legato.core.records import FlowRunRecord, FlowVersionRecord, ResultRef
from legato.core.states import StateType
from legato.errors import ParameterError

_RUN_TIMES = ("created", "updated", "start_time", "end_time", "scheduled_time")


def encode_start(claimed: FlowRunRecord, version: FlowVersionRecord | None) -> str:
    """The claimed record and pinned version as one word of text for `decode_start`."""
    payload = {"run": dataclasses.asdict(claimed),
               "version": dataclasses.asdict(version) if version is not None else None}
    return base64.urlsafe_b64encode(orjson.dumps(payload, default=_bytes)).decode()


def decode_start(text: str) -> tuple[FlowRunRecord, FlowVersionRecord | None]:
    """The record and version `encode_start` made; ParameterError if the text is not one."""
    try:
        payload = orjson.loads(base64.urlsafe_b64decode(text.encode()))
        if not isinstance(payload, dict) or set(payload) != {"run", "version"}:
            raise ValueError("not a claimed run")
        run = _run(payload["run"])
        version = None if payload["version"] is None else _version(payload["version"])
    except (ValueError, TypeError, KeyError, binascii.Error) as error:
        raise ParameterError(
            f"the start of a claimed run is not what encode_start makes ({error}); run the "
            "worker and the run's process from the same Legato installation."
        ) from None
    return run, version


def _bytes(value: object) -> str:
    if isinstance(value, bytes):  # a result's inline data
        return base64.b64encode(value).decode()
    raise TypeError(f"{type(value).__name__} is not part of a claimed run")


def _fields(value: object, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"{what} is not an object")
    return value


def _time(value: object) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a timestamp")
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone")
    return moment


def _run(value: object) -> FlowRunRecord:
    fields = dict(_fields(value, "run"))
    for name in _RUN_TIMES:
        fields[name] = _time(fields.get(name))
    fields["state"] = StateType(fields["state"])
    fields["tags"] = tuple(fields.get("tags") or ())
    if not isinstance(fields["parameters"], dict):
        raise ValueError("the run's parameters are not an object")
    result = fields.get("result")
    if result is not None:
        ref = dict(_fields(result, "result"))
        if ref.get("data") is not None:
            ref["data"] = base64.b64decode(ref["data"], validate=True)
        fields["result"] = ResultRef(**ref)
    return FlowRunRecord(**fields)


def _version(value: object) -> FlowVersionRecord:
    fields = dict(_fields(value, "version"))
    created = _time(fields["created"])
    if created is None:
        raise ValueError("the version has no creation time")
    fields["created"] = created
    return FlowVersionRecord(**fields)
