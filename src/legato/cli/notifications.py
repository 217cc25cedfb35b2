"""`legato notifications add|ls|rm`: rules that send a message (Slack, e-mail, webhooks: any
apprise URL) when runs fail, crash, are late or complete. URLs are shown masked."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click
from rich.markup import escape
from rich.table import Table

from legato.client.deploy import default_api_url
from legato.client.notifications import NotificationsClient
from legato.core.notifications import DEFAULT_STATES, NOTIFY_STATES
from legato.schemas.notifications import NotificationRuleBody

from .deployments import api_url_option
from .errors import cli_errors
from .output import echo_json, make_console


@contextmanager
def _client(api_url: str | None) -> Iterator[NotificationsClient]:
    with cli_errors(), NotificationsClient(default_api_url(api_url)) as client:
        yield client


@click.group("notifications")
def notifications_group() -> None:
    """Manage notification rules."""


@notifications_group.command("add")
@click.option("--url", "urls", multiple=True, required=True, metavar="URL",
              help="An apprise URL, e.g. slack://..., mailto://..., json://... (repeatable).")
@click.option("--state", "states", multiple=True, type=click.Choice(NOTIFY_STATES),
              help=f"Notify when a run is ... (repeatable; default {', '.join(DEFAULT_STATES)}).")
@click.option("--deployment", metavar="FLOW/NAME", help="Only runs of this deployment.")
@click.option("--tag", "tags", multiple=True, help="Only runs with this tag (repeatable).")
@click.option("--name", help="A label for the rule.")
@click.option("--json", "as_json", is_flag=True, help="Print the rule as JSON.")
@api_url_option
def add_command(urls: tuple[str, ...], states: tuple[str, ...], deployment: str | None,
                tags: tuple[str, ...], name: str | None, as_json: bool,
                api_url: str | None) -> None:
    """Add a rule.

    Example: legato notifications add --url 'slack://T0/B0/XYZ' --state failed --state crashed
    """
    with _client(api_url) as client:
        rule = client.add(NotificationRuleBody(
            urls=list(urls), states=list(states or DEFAULT_STATES), deployment=deployment,
            tags=list(tags), name=name))
    if as_json:
        echo_json(rule.model_dump(mode="json"))
        return
    click.echo(f"notification rule {rule.id} added: {', '.join(rule.states)} -> "
               f"{', '.join(rule.urls)}")


@notifications_group.command("ls")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@api_url_option
def ls_command(as_json: bool, api_url: str | None) -> None:
    """List rules (URLs masked)."""
    with _client(api_url) as client:
        rules = client.rules()
    if as_json:
        echo_json([r.model_dump(mode="json") for r in rules])
        return
    if not rules:
        click.echo("no notification rules")
        return
    table = Table(box=None, header_style="bold")
    for column in ("ID", "NAME", "STATES", "DEPLOYMENT", "TAGS", "URLS"):
        table.add_column(column, overflow="fold")
    for r in rules:
        table.add_row(r.id, escape(r.name or "-"), ", ".join(r.states),
                      escape(r.deployment or "any"), escape(", ".join(r.tags) or "any"),
                      escape(", ".join(r.urls)))
    make_console().print(table)


@notifications_group.command("rm")
@click.argument("rule_id")
@api_url_option
def rm_command(rule_id: str, api_url: str | None) -> None:
    """Delete a rule."""
    with _client(api_url) as client:
        client.remove(rule_id)
    click.echo(f"notification rule {rule_id} removed")
