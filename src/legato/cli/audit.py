"""`legato audit ls`: the audit log of the configured database, newest first."""

from __future__ import annotations

import click
from rich.markup import escape
from rich.table import Table

from .accounts import account_service
from .output import echo_json, format_time, make_console


@click.group("audit")
def audit_group() -> None:
    """Read the audit log."""


@audit_group.command("ls")
@click.option("--limit", type=click.IntRange(1, 500), default=50, show_default=True)
@click.option("--before-id", type=click.IntRange(min=1), default=None,
              help="Continue a listing: lines older than this id.")
@click.option("--actor", default=None, help="Only this actor's lines.")
@click.option("--action", default=None, help="Only this action, e.g. flow-run.cancel.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
def ls_command(limit: int, before_id: int | None, actor: str | None, action: str | None,
               as_json: bool) -> None:
    """Who did what, when and from where, newest first.

    Example: legato audit ls --action token.create --limit 20
    """
    with account_service() as accounts:
        lines = accounts.list_audit(limit=limit, before_id=before_id, actor=actor,
                                    action=action)
    if as_json:
        echo_json([
            {"id": r.id, "at": r.at.isoformat(), "actor": r.actor, "actor_kind": r.actor_kind,
             "action": r.action, "target": r.target, "source": r.source, "detail": r.detail}
            for r in lines
        ])
        return
    if not lines:
        click.echo("no audit lines")
        return
    table = Table(box=None, header_style="bold")
    for column in ("ID", "AT", "ACTOR", "ACTION", "TARGET", "FROM"):
        table.add_column(column)
    for r in lines:
        table.add_row(str(r.id), format_time(r.at), escape(r.actor), r.action,
                      escape(r.target or "-"), escape(r.source or "-"))
    make_console().print(table)
