"""`legato events emit|ls`: send a custom event (what a webhook would send) and list stored
events, Legato's own flow-run and asset events included."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import click
import orjson
from rich.markup import escape
from rich.table import Table

from legato.core.events import EventRecord, NewEvent
from legato.sdk import runtime

from .errors import cli_errors
from .output import dumps, echo_json, format_time, make_console
from .params import parse_params


def event_dict(event: EventRecord) -> dict[str, Any]:
    return {
        "seq": event.seq, "id": event.id, "name": event.name,
        "occurred": event.occurred.isoformat(), "received": event.received.isoformat(),
        "resource": event.resource, "payload": event.payload, "related": list(event.related),
    }


def _payload(pairs: tuple[str, ...], raw: str | None) -> dict[str, Any]:
    if raw is not None and pairs:
        raise click.UsageError("give the payload either as --payload JSON or as -p k=v, not both.")
    if raw is None:
        return parse_params(pairs)
    try:
        payload = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise click.BadParameter(
            f"is not JSON ({error}); write an object such as '{{\"date\": \"2026-01-31\"}}'.",
            param_hint="'--payload'",
        ) from None
    if not isinstance(payload, dict):
        raise click.BadParameter(
            f"is a JSON {type(payload).__name__}, not an object; wrap it, e.g. '{{\"value\": ...}}'.",
            param_hint="'--payload'",
        )
    return payload


@click.group("events")
def events_group() -> None:
    """Emit and list events."""


@events_group.command("emit")
@click.argument("name")
@click.option("-p", "--param", "pairs", multiple=True, metavar="KEY=VALUE",
              help="A payload field (repeatable); JSON values are parsed.")
@click.option("--payload", "raw_payload", metavar="JSON", help="The whole payload as a JSON object.")
@click.option("--resource", help="What the event is about, e.g. shop.order.17.")
@click.option("--json", "as_json", is_flag=True, help="Print the stored event as JSON.")
def emit_command(name: str, pairs: tuple[str, ...], raw_payload: str | None,
                 resource: str | None, as_json: bool) -> None:
    """Store an event NAME; triggers waiting for it fire on the server.

    Example: legato events emit orders.loaded -p date=2026-01-31 -p rows=1200
    """
    payload = _payload(pairs, raw_payload)
    with cli_errors():
        stored = runtime.get_backend().emit_event(
            NewEvent(name=name, payload=payload, resource=resource))
    if as_json:
        echo_json(event_dict(stored))
        return
    click.echo(f"event {stored.name} stored ({stored.id})")


@events_group.command("ls")
@click.option("--name", help="Only events with exactly this name.")
@click.option("--prefix", help="Only events whose name starts with this, e.g. legato.flow-run.")
@click.option("--since", type=click.DateTime(["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d"]),
              help="Occurred at or after (UTC if no zone).")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
def ls_command(name: str | None, prefix: str | None, since: datetime | None, limit: int,
               as_json: bool) -> None:
    """List events, newest first.

    Example: legato events ls --prefix legato.flow-run. --json
    """
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    with cli_errors():
        events = runtime.get_backend().list_events(name=name, prefix=prefix, since=since,
                                                   limit=limit)
    if as_json:
        echo_json([event_dict(e) for e in events])
        return
    if not events:
        click.echo("no events")
        return
    table = Table(box=None, header_style="bold")
    for column in ("OCCURRED", "NAME", "RESOURCE", "PAYLOAD"):
        table.add_column(column, overflow="fold")
    for e in events:
        payload = dumps(e.payload)
        if len(payload) > 80:
            payload = payload[:77] + "..."
        table.add_row(format_time(e.occurred), escape(e.name), escape(e.resource), escape(payload))
    make_console().print(table)
