"""Event names, wildcard matching, dotted paths and payload filters."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from legato.core.events import (
    EventRecord,
    NewEvent,
    check_new_event,
    dotted_get,
    flow_run_event_name,
    is_missing,
    name_matches,
    payload_matches,
)
from legato.core.states import StateType
from legato.errors import ParameterError

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


def event(payload: dict[str, object], name: str = "orders.created") -> EventRecord:
    return EventRecord(1, "e1", name, T0, T0, "shop.order.1", dict(payload))


@pytest.mark.parametrize(
    ("pattern", "name", "expected"),
    [("orders.created", "orders.created", True), ("orders.created", "orders.paid", False),
     ("orders.*", "orders.created", True), ("orders.*", "orders", False),
     ("orders.*", "ordersx.created", False), ("*", "anything", True)],
)
def test_name_patterns_match_exactly_or_by_prefix(pattern: str, name: str,
                                                  expected: bool) -> None:
    assert name_matches(pattern, name) is expected


def test_dotted_paths_walk_dicts_and_lists() -> None:
    data = {"order": {"lines": [{"sku": "A1"}, {"sku": "B2"}]}}
    assert dotted_get(data, "order.lines.1.sku") == "B2"
    assert is_missing(dotted_get(data, "order.lines.2.sku"))
    assert is_missing(dotted_get(data, "order.total"))
    assert is_missing(dotted_get({"s": "text"}, "s.0"))


def test_payload_filter_compares_each_path_for_equality() -> None:
    found = event({"region": "eu", "order": {"total": 10}})
    assert payload_matches({"region": "eu", "payload.order.total": 10}, found)
    assert payload_matches({"resource": "shop.order.1", "name": "orders.created"}, found)
    assert not payload_matches({"region": "us"}, found)
    assert not payload_matches({"order.total": "10"}, found)
    assert not payload_matches({"missing": None}, found)


def test_flow_run_event_names_are_lowercase_states() -> None:
    assert flow_run_event_name(StateType.AWAITING_RETRY) == "legato.flow-run.awaiting_retry"


def test_payload_that_is_not_json_is_refused_naming_the_event() -> None:
    with pytest.raises(ParameterError, match="event 'x' has a payload that is not plain JSON"):
        check_new_event(NewEvent("x", {"when": T0}), "event 'x'")
    with pytest.raises(ParameterError, match="not plain JSON"):
        check_new_event(NewEvent("x", {"n": float("nan")}), "event 'x'")


def test_reserved_names_are_allowed_for_the_orchestration_layer_only() -> None:
    reserved = NewEvent("legato.flow-run.completed", {})
    check_new_event(reserved, "here", internal=True)
    with pytest.raises(ParameterError, match="only Legato emits"):
        check_new_event(reserved, "here")
