"""Trigger specs from their dict form (errors name the place and the fix), matching one
event, and `{{ event.* }}` parameter templates."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from legato.core.events import EventRecord
from legato.core.triggers import TriggerKind, matches, parse_trigger, render_parameters
from legato.errors import ParameterError

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


def event(name: str, payload: dict[str, Any], resource: str = "r") -> EventRecord:
    return EventRecord(1, "e1", name, T0, T0, resource, payload)


def test_dict_forms_round_trip() -> None:
    for form in ({"flow": "etl", "states": ["completed"]},
                 {"deployment": "etl/nightly", "states": ["failed", "crashed"], "debounce": 60.0},
                 {"event": "orders.*", "match": {"region": "eu"},
                  "parameters": {"d": "{{ event.payload.date }}"}},
                 {"assets": ["s3://a", "s3://b"], "all": True, "within": 600.0}):
        assert parse_trigger(form).to_dict() == form


@pytest.mark.parametrize(
    ("form", "message"),
    [({}, "give exactly one of flow, deployment, event or assets"),
     ({"flow": "a", "event": "b"}, "names flow and event"),
     ({"flow": "etl", "states": ["done"]}, "choose from completed"),
     ({"event": "x", "colour": 1}, "unknown field 'colour'"),
     ({"event": "x", "debounce": -1}, "seconds between 0"),
     ({"assets": []}, "1 to 50 asset URLs"),
     ({"event": "bad name"}, "letters, digits"),
     ({"event": "x", "parameters": ["a"]}, "not a mapping by name"),
     ("event=x", "is a str")],
)
def test_bad_forms_name_the_place_and_the_fix(form: Any, message: str) -> None:
    with pytest.raises(ParameterError, match=r"triggers\.0") as caught:
        parse_trigger(form, "triggers.0")
    assert message in str(caught.value)


def test_flow_run_triggers_match_by_flow_or_by_deployment() -> None:
    done = event("legato.flow-run.completed",
                 {"flow_name": "etl", "deployment_name": "nightly"})
    assert matches(parse_trigger({"flow": "etl"}), done)
    assert matches(parse_trigger({"deployment": "etl/nightly"}), done)
    assert matches(parse_trigger({"deployment": "nightly"}), done)
    assert not matches(parse_trigger({"deployment": "other/nightly"}), done)
    assert not matches(parse_trigger({"flow": "etl", "states": ["failed"]}), done)


def test_asset_triggers_match_asset_updates_of_their_assets() -> None:
    spec = parse_trigger({"assets": "s3://a"})
    assert spec.kind is TriggerKind.ASSET
    assert matches(spec, event("legato.asset.updated", {}, "s3://a"))
    assert not matches(spec, event("legato.asset.updated", {}, "s3://b"))
    assert not matches(spec, event("other", {}, "s3://a"))


def test_templates_keep_types_when_whole_and_become_text_inside_strings() -> None:
    found = event("orders", {"date": "2026-01-31", "n": 3, "tags": ["x"]})
    assert render_parameters(
        {"d": "{{ event.payload.date }}", "n": "{{event.payload.n}}",
         "t": "n={{ event.payload.n }} {{ event.payload.tags }}", "fixed": 1,
         "nested": [{"name": "{{ event.name }}"}]}, found) == {
        "d": "2026-01-31", "n": 3, "t": 'n=3 ["x"]', "fixed": 1,
        "nested": [{"name": "orders"}]}
    with pytest.raises(ParameterError, match=r"event\.payload\.missing"):
        render_parameters({"d": "{{ event.payload.missing }}"}, found)
