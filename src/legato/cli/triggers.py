"""`legato triggers ls`: every deployment trigger on the server, what it waits for and when it
last fired. Triggers are set with `legato deploy --trigger` or a project file."""

from __future__ import annotations

import click
from rich.markup import escape
from rich.table import Table

from .deployments import api_url_option, deployments_client
from .output import echo_json, format_time, make_console


@click.group("triggers")
def triggers_group() -> None:
    """Inspect deployment triggers."""


@triggers_group.command("ls")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@api_url_option
def ls_command(as_json: bool, api_url: str | None) -> None:
    """List triggers by flow and deployment.

    Example: legato triggers ls --json
    """
    with deployments_client(api_url) as client:
        found = client.list_triggers()
    if as_json:
        echo_json([t.model_dump(mode="json") for t in found])
        return
    if not found:
        click.echo("no triggers")
        return
    table = Table(box=None, header_style="bold")
    for column in ("DEPLOYMENT", "WHEN", "FIRED", "LAST FIRED"):
        table.add_column(column)
    for t in found:
        table.add_row(escape(f"{t.flow_name}/{t.deployment_name}"), escape(t.description),
                      str(t.fired_count), format_time(t.last_fired))
    make_console().print(table)
