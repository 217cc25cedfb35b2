"""Notification rules: "tell these apprise URLs when a run of deployment D (or tagged T)
fails, crashes, is late or completes". The rule record and its checks, matching a flow-run
event, the message people get, and masking of URLs (they carry tokens and passwords)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from legato.core.events import FLOW_RUN_LATE, FLOW_RUN_PREFIX, EventRecord
from legato.errors import ParameterError

NOTIFY_STATES = ("completed", "failed", "crashed", "cancelled", "late")
DEFAULT_STATES = ("failed", "crashed")
MAX_URLS = 20
MAX_URL = 2048
# Schemes whose host is an address people choose (a webhook), not a token: shown when masked.
_PLAIN_HOST_SCHEMES = {"json", "jsons", "xml", "xmls", "form", "forms", "mailto", "mailtos"}


@dataclass(frozen=True, slots=True)
class NotificationRule:
    """Where to send what. Empty `deployment` and `tags` mean every run; `deployment` is
    `flow/name` or a deployment name; a run matches when it has any of `tags`."""

    id: str
    urls: tuple[str, ...]
    states: tuple[str, ...] = DEFAULT_STATES
    deployment: str | None = None
    tags: tuple[str, ...] = ()
    name: str | None = None
    enabled: bool = True
    created: datetime | None = None


def check_rule_fields(urls: Sequence[str], states: Sequence[str], place: str) -> None:
    """Refuse a rule with no or malformed URLs or an unknown state, naming the fix."""
    if not urls or len(urls) > MAX_URLS:
        raise ParameterError(
            f"{place} has {len(urls)} URLs; give 1 to {MAX_URLS} apprise URLs such as "
            "'slack://T000/B000/XXXX' or 'mailto://user:pass@example.com'.", [("urls", "count")])
    for position, url in enumerate(urls):
        if not isinstance(url, str) or "://" not in url or len(url) > MAX_URL or any(
                c.isspace() for c in url):
            raise ParameterError(
                f"{place} has URL {position} ({mask_url(str(url))}) that is not an apprise URL; "
                "write scheme://... such as 'json://hooks.example.com/legato'.",
                [(f"urls.{position}", "not a URL")])
    if not states:
        raise ParameterError(f"{place} names no states; choose from {', '.join(NOTIFY_STATES)}.",
                             [("states", "empty")])
    for state in states:
        if state not in NOTIFY_STATES:
            raise ParameterError(
                f"{place} has state {state!r}; choose from {', '.join(NOTIFY_STATES)}.",
                [("states", f"unknown {state}")])


def mask_url(url: str) -> str:
    """A URL with its secrets hidden: the scheme, and the host only for plain webhooks and
    mail servers; user names, passwords, tokens, paths and queries become `***`.

    >>> mask_url("slack://T000/B000/secret")
    'slack://***'
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return "***"
    scheme = parts.scheme or "?"
    if scheme.lower() in _PLAIN_HOST_SCHEMES and parts.hostname:
        user = "***@" if parts.username or parts.password else ""
        port = f":{parts.port}" if _port(parts) else ""
        rest = "/***" if parts.path.strip("/") or parts.query else ""
        return f"{scheme}://{user}{parts.hostname}{port}{rest}"
    return f"{scheme}://***"


def _port(parts: Any) -> int | None:
    try:
        return parts.port  # type: ignore[no-any-return]
    except ValueError:
        return None


def event_state(event: EventRecord) -> str | None:
    """The notification state a flow-run event stands for, or None for other events."""
    if event.name == FLOW_RUN_LATE:
        return "late"
    if event.name.startswith(FLOW_RUN_PREFIX):
        return event.name[len(FLOW_RUN_PREFIX):]
    return None


def rule_matches(rule: NotificationRule, event: EventRecord) -> bool:
    state = event_state(event)
    if not rule.enabled or state is None or state not in rule.states:
        return False
    payload = event.payload
    if rule.deployment is not None:
        flow_name, _, name = rule.deployment.rpartition("/")
        if payload.get("deployment_name") != name:
            return False
        if flow_name and payload.get("flow_name") != flow_name:
            return False
    if rule.tags:
        tags = payload.get("tags") or []
        return any(tag in tags for tag in rule.tags)
    return True


def run_link(ui_url: str, flow_run_id: str) -> str:
    return f"{ui_url.rstrip('/')}/runs/{flow_run_id}"


def message_for(event: EventRecord, ui_url: str) -> tuple[str, str]:
    """(title, body) for a flow-run event: flow, deployment, run, state, reason, link."""
    payload: Mapping[str, Any] = event.payload
    state = (event_state(event) or event.name).upper()
    run_name = payload.get("flow_run_name") or payload.get("flow_run_id")
    flow_name = payload.get("flow_name") or "?"
    title = f"Legato: {flow_name} run {run_name} is {state}"
    lines = [
        f"Flow: {flow_name}",
        f"Deployment: {flow_name}/{payload['deployment_name']}"
        if payload.get("deployment_name") else "Deployment: none",
        f"Run: {run_name} ({payload.get('flow_run_id')})",
        f"State: {state}",
    ]
    if payload.get("message"):
        lines.append(f"Reason: {payload['message']}")
    lines.append(f"When: {event.occurred.isoformat()}")
    if payload.get("flow_run_id"):
        lines.append(f"Link: {run_link(ui_url, str(payload['flow_run_id']))}")
    return title, "\n".join(lines)
