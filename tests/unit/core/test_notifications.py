"""Notification rules: checks, matching flow-run events by state, deployment and tag, the
message (flow, run, state, reason, link), and URL masking."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from legato.core.events import EventRecord
from legato.core.notifications import (
    NotificationRule,
    check_rule_fields,
    mask_url,
    message_for,
    rule_matches,
)
from legato.errors import ParameterError

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


def event(state: str = "failed", **payload: Any) -> EventRecord:
    body = {"flow_run_id": "run-1", "flow_run_name": "calm-heron", "flow_name": "etl",
            "deployment_name": "nightly", "tags": ["team-a"], "message": "boom", **payload}
    return EventRecord(1, "e1", f"legato.flow-run.{state}", T0, T0, "legato.flow-run.run-1", body)


def rule(**fields: Any) -> NotificationRule:
    return NotificationRule("r1", ("json://hooks.example.com/x",), **fields)


@pytest.mark.parametrize(
    ("url", "masked"),
    [("slack://T000/B000/secret", "slack://***"),
     ("mailto://user:pass@mail.example.com:587?to=a@b", "mailto://***@mail.example.com:587/***"),
     ("json://hooks.example.com/path/token", "json://hooks.example.com/***"),
     ("json://127.0.0.1:8080", "json://127.0.0.1:8080"),
     ("discord://webhook_id/webhook_token", "discord://***")],
)
def test_urls_are_masked_keeping_only_what_is_not_secret(url: str, masked: str) -> None:
    assert mask_url(url) == masked


def test_rules_match_by_state_deployment_and_tag() -> None:
    assert rule_matches(rule(), event("failed"))
    assert not rule_matches(rule(), event("completed"))
    assert rule_matches(rule(states=("late",)), event("late"))
    assert rule_matches(rule(deployment="etl/nightly"), event())
    assert rule_matches(rule(deployment="nightly"), event())
    assert not rule_matches(rule(deployment="other/nightly"), event())
    assert rule_matches(rule(tags=("team-b", "team-a")), event())
    assert not rule_matches(rule(tags=("team-b",)), event())
    assert not rule_matches(rule(enabled=False), event())


def test_message_names_flow_run_state_reason_and_links_the_run() -> None:
    title, body = message_for(event("crashed", message="worker lost"), "http://ui.example.com/")
    assert title == "Legato: etl run calm-heron is CRASHED"
    assert "Deployment: etl/nightly" in body
    assert "Reason: worker lost" in body
    assert "Link: http://ui.example.com/runs/run-1" in body


def test_bad_rules_are_refused_without_echoing_secrets() -> None:
    with pytest.raises(ParameterError, match="1 to 20 apprise URLs"):
        check_rule_fields([], ["failed"], "rule")
    with pytest.raises(ParameterError, match="choose from completed"):
        check_rule_fields(["json://x"], ["exploded"], "rule")
    with pytest.raises(ParameterError) as caught:
        check_rule_fields(["slack token-without-scheme secret"], ["failed"], "rule")
    assert "secret" not in str(caught.value)
