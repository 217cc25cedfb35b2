"""Deployment triggers: "run this deployment when ..." another flow or deployment reached a
state, an event arrived whose payload matches a filter, or an asset (any or all of several)
was updated. The spec, its plain-dict form (YAML, API, CLI), matching against one event, and
the `{{ event.payload.x }}` substitution that maps an event into run parameters."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from legato.core.events import (
    ASSET_UPDATED,
    EventRecord,
    check_event_name,
    dotted_get,
    event_document,
    flow_run_event_name,
    is_missing,
    name_matches,
    payload_matches,
)
from legato.core.states import StateType
from legato.errors import ParameterError

MAX_ASSETS = 50
MAX_SECONDS = 366 * 24 * 3600
FLOW_RUN_STATES = ("completed", "failed", "crashed", "cancelled")
_KEYS = {"flow", "deployment", "states", "event", "match", "assets", "all", "within",
         "debounce", "parameters", "enabled"}
_TEMPLATE = re.compile(r"\{\{\s*([A-Za-z0-9_.\-]+)\s*\}\}")


class TriggerKind(StrEnum):
    FLOW_RUN = "flow-run"
    EVENT = "event"
    ASSET = "asset"


@dataclass(frozen=True, slots=True)
class TriggerSpec:
    """One trigger of a deployment. Build it with `parse_trigger` from its dict form:

    - `{"flow": "etl", "states": ["completed"]}` or `{"deployment": "etl/nightly",
      "states": ["failed", "crashed"]}`: another run reached one of the states;
    - `{"event": "orders.*", "match": {"payload.region": "eu"}}`: an event whose name
      matches (exact, `*`, or `prefix.*`) and whose dotted paths equal the given values;
    - `{"assets": ["s3://a", "s3://b"], "all": true, "within": 3600}`: any (or, with `all`,
      every one within `within` seconds) of the assets was updated.

    Every kind takes `debounce` (seconds after a firing during which matches are ignored)
    and `parameters` (values or `{{ event.payload.date }}` templates)."""

    kind: TriggerKind
    flow: str | None = None
    deployment: str | None = None
    states: tuple[str, ...] = ("completed",)
    event: str | None = None
    match: dict[str, Any] = field(default_factory=dict)
    assets: tuple[str, ...] = ()
    all_of: bool = False
    within_seconds: float | None = None
    debounce_seconds: float = 0.0
    parameters: dict[str, Any] = field(default_factory=dict)
    enabled: bool = True

    def to_dict(self) -> dict[str, Any]:
        """The dict form `parse_trigger` reads back."""
        out: dict[str, Any] = {}
        if self.kind is TriggerKind.FLOW_RUN:
            out.update({"flow": self.flow} if self.flow else {"deployment": self.deployment})
            out["states"] = list(self.states)
        elif self.kind is TriggerKind.EVENT:
            out["event"] = self.event
            if self.match:
                out["match"] = dict(self.match)
        else:
            out["assets"] = list(self.assets)
            if self.all_of:
                out["all"] = True
            if self.within_seconds is not None:
                out["within"] = self.within_seconds
        if self.debounce_seconds:
            out["debounce"] = self.debounce_seconds
        if self.parameters:
            out["parameters"] = dict(self.parameters)
        if not self.enabled:
            out["enabled"] = False
        return out

    def describe(self) -> str:
        """One line for people: `when flow etl is completed`, `when event orders.* arrives`."""
        if self.kind is TriggerKind.FLOW_RUN:
            what = f"flow {self.flow}" if self.flow else f"deployment {self.deployment}"
            return f"when {what} is {' or '.join(self.states)}"
        if self.kind is TriggerKind.EVENT:
            extra = f" with {self.match}" if self.match else ""
            return f"when event {self.event} arrives{extra}"
        joined = (" and " if self.all_of else " or ").join(self.assets)
        return f"when {'all of ' if self.all_of else ''}{joined} {'are' if self.all_of else 'is'} updated"


def _fail(place: str, problem: str, fix: str, field_name: str) -> ParameterError:
    return ParameterError(f"{place} {problem}; {fix}.", [(field_name, problem)])


def _seconds(data: Mapping[str, Any], key: str, place: str) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= MAX_SECONDS:
        raise _fail(place, f"has {key}={value!r}", f"give seconds between 0 and {MAX_SECONDS}", key)
    return float(value)


def _name(data: Mapping[str, Any], key: str, place: str) -> str:
    value = data[key]
    if not isinstance(value, str) or not 0 < len(value) <= 255:
        raise _fail(place, f"has {key}={value!r}", "give a name of 1 to 255 characters", key)
    return value


def parse_trigger(data: Any, place: str = "trigger") -> TriggerSpec:
    """Read a trigger's dict form; a ParameterError names `place`, the field and the fix.

    >>> parse_trigger({"event": "orders.*"}).kind
    <TriggerKind.EVENT: 'event'>
    """
    if not isinstance(data, Mapping):
        raise _fail(place, f"is a {type(data).__name__}", "give a mapping such as "
                    "{'event': 'orders.created'}", "trigger")
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise _fail(place, f"has unknown field {unknown[0]!r}",
                    f"use only {', '.join(sorted(_KEYS))}", unknown[0])
    kinds = [k for k in ("flow", "deployment", "event", "assets") if k in data]
    if len(kinds) != 1:
        raise _fail(place, f"names {' and '.join(kinds) or 'nothing to wait for'}",
                    "give exactly one of flow, deployment, event or assets", "trigger")
    common: dict[str, Any] = {
        "debounce_seconds": _seconds(data, "debounce", place) or 0.0,
        "parameters": _parameters(data.get("parameters"), place),
        "enabled": _flag(data, "enabled", place, True),
    }
    if kinds[0] in ("flow", "deployment"):
        states = data.get("states", ["completed"])
        if isinstance(states, str):
            states = [states]
        if (not isinstance(states, list) or not states
                or any(not isinstance(s, str) or s.lower() not in FLOW_RUN_STATES for s in states)):
            raise _fail(place, f"has states={states!r}",
                        f"choose from {', '.join(FLOW_RUN_STATES)}", "states")
        return TriggerSpec(TriggerKind.FLOW_RUN, flow=data.get("flow") and _name(data, "flow", place),
                           deployment=data.get("deployment") and _name(data, "deployment", place),
                           states=tuple(dict.fromkeys(s.lower() for s in states)), **common)
    if kinds[0] == "event":
        pattern = _name(data, "event", place)
        check_event_name(pattern[:-2] if pattern.endswith(".*") else pattern.replace("*", "x"),
                         place, internal=True)
        match = data.get("match") or {}
        if not isinstance(match, Mapping) or any(not isinstance(k, str) or not k for k in match):
            raise _fail(place, "has a match that is not a mapping of dotted paths",
                        "write it like {'payload.region': 'eu'}", "match")
        return TriggerSpec(TriggerKind.EVENT, event=pattern, match=dict(match), **common)
    assets = data["assets"]
    if isinstance(assets, str):
        assets = [assets]
    if (not isinstance(assets, list) or not 0 < len(assets) <= MAX_ASSETS
            or any(not isinstance(a, str) or not 0 < len(a) <= 512 for a in assets)):
        raise _fail(place, f"has assets={assets!r}",
                    f"give 1 to {MAX_ASSETS} asset URLs such as 's3://bucket/key'", "assets")
    return TriggerSpec(TriggerKind.ASSET, assets=tuple(dict.fromkeys(assets)),
                       all_of=_flag(data, "all", place, False),
                       within_seconds=_seconds(data, "within", place), **common)


def _flag(data: Mapping[str, Any], key: str, place: str, default: bool) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise _fail(place, f"has {key}={value!r}", "give true or false", key)
    return value


def _parameters(value: Any, place: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or any(not isinstance(k, str) for k in value):
        raise _fail(place, "has parameters that are not a mapping by name",
                    "write them like {'date': '{{ event.payload.date }}'}", "parameters")
    return dict(value)


def matches(spec: TriggerSpec, event: EventRecord) -> bool:
    """Whether the event counts for the trigger (for all-of asset triggers: whether it
    updates one of the assets; the service decides when all of them have been)."""
    if spec.kind is TriggerKind.FLOW_RUN:
        if event.name not in {flow_run_event_name(StateType(s.upper())) for s in spec.states}:
            return False
        payload = event.payload
        if spec.flow is not None:
            return bool(payload.get("flow_name") == spec.flow)
        flow_name, _, name = (spec.deployment or "").rpartition("/")
        if payload.get("deployment_name") != name:
            return False
        return not flow_name or payload.get("flow_name") == flow_name
    if spec.kind is TriggerKind.EVENT:
        return name_matches(spec.event or "", event.name) and payload_matches(spec.match, event)
    return event.name == ASSET_UPDATED and event.resource in spec.assets


def render_parameters(template: Mapping[str, Any], event: EventRecord) -> dict[str, Any]:
    """Substitute `{{ event.<path> }}` in the template's strings (nested lists and dicts too).
    A string that is only one placeholder takes the value as it is (a number stays a number);
    placeholders inside text become text. ParameterError when a path is missing.

    >>> render_parameters({"date": "{{ event.payload.date }}"}, event)
    {'date': '2026-01-31'}
    """
    document = {"event": event_document(event)}
    rendered = _render(dict(template), document)
    assert isinstance(rendered, dict)
    return rendered


def _render(value: Any, document: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        return {k: _render(v, document) for k, v in value.items()}
    if isinstance(value, list):
        return [_render(v, document) for v in value]
    if not isinstance(value, str) or "{{" not in value:
        return value
    whole = _TEMPLATE.fullmatch(value.strip())
    if whole:
        return _lookup(whole.group(1), document)

    def text(found: re.Match[str]) -> str:
        part = _lookup(found.group(1), document)
        return part if isinstance(part, str) else _json_text(part)

    return _TEMPLATE.sub(text, value)


def _lookup(path: str, document: dict[str, Any]) -> Any:
    found = dotted_get(document, path)
    if is_missing(found):
        raise ParameterError(
            f"trigger parameter template uses {{{{ {path} }}}}, which the event does not have; "
            "use a path such as event.payload.<field>.",
            [("parameters", f"missing {path}")],
        )
    return found


def _json_text(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class TriggerRecord:
    """A stored trigger with its deployment's names, when it last fired and (all-of asset
    triggers) the updates seen since: asset URL -> ISO time received."""

    id: str
    deployment_id: str
    deployment_name: str
    flow_name: str
    position: int
    spec: TriggerSpec
    state: dict[str, str]
    last_fired: datetime | None
    fired_count: int
    created: datetime
