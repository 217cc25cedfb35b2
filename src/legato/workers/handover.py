"""What a worker hands the process of a run it claimed: the run's record and its pinned flow
version, as one word of text (base64 of JSON). Plain records and orjson on both sides, so a
fresh run's process decodes it without building a wire model before its first line."""

from __future__ import annotations

import base64
import binascii
import dataclasses

import orjson

from legato.client import lean_wire
from legato.core.records import FlowRunRecord, FlowVersionRecord
from legato.errors import ParameterError


def encode_start(claimed: FlowRunRecord, version: FlowVersionRecord | None) -> str:
    """The claimed record and pinned version as one word of text for `decode_start`."""
    payload = {"run": dataclasses.asdict(claimed),
               "version": dataclasses.asdict(version) if version is not None else None}
    return base64.urlsafe_b64encode(lean_wire.dumps(payload, "the claimed run")).decode()


def decode_start(text: str) -> tuple[FlowRunRecord, FlowVersionRecord | None]:
    """The record and version `encode_start` made; ParameterError if the text is not one."""
    try:
        payload = orjson.loads(base64.urlsafe_b64decode(text.encode()))
        if not isinstance(payload, dict) or set(payload) != {"run", "version"}:
            raise ValueError("not a claimed run")
        run = lean_wire.flow_run(payload["run"])
        version = None if payload["version"] is None else _version(payload["version"])
    except (ValueError, TypeError, KeyError, binascii.Error) as error:
        raise ParameterError(
            f"the start of a claimed run is not what encode_start makes ({error}); run the "
            "worker and the run's process from the same Legato installation."
        ) from None
    return run, version


def _version(value: object) -> FlowVersionRecord:
    fields = dict(lean_wire.fields_of(value))
    created = lean_wire.timestamp(fields["created"])
    if created is None:
        raise ValueError("the version has no creation time")
    fields["created"] = created
    return FlowVersionRecord(**fields)
