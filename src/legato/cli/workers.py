"""`legato workers ls`: the workers registered with the backend, their queues and when each
was last heard from."""

from __future__ import annotations

import click
from rich.table import Table

from legato.sdk import runtime

from .errors import cli_errors
from .output import echo_json, format_time, make_console


@click.group("workers")
def workers_group() -> None:
    """Inspect workers."""


@workers_group.command("ls")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
def ls_command(as_json: bool) -> None:
    """List registered workers, by name.

    Example: legato workers ls --json
    """
    with cli_errors():
        workers = runtime.get_backend().list_workers()
    if as_json:
        echo_json([
            {"id": w.id, "name": w.name, "queues": list(w.queues), "status": w.status,
             "heartbeat_at": w.heartbeat_at.isoformat(), "pid": w.pid, "host": w.host}
            for w in workers
        ])
        return
    if not workers:
        click.echo("no workers")
        return
    table = Table(box=None, header_style="bold")
    for column in ("NAME", "STATUS", "QUEUES", "LAST HEARTBEAT", "HOST", "PID"):
        table.add_column(column)
    for w in workers:
        style = "green" if w.status == "online" else "dim"
        table.add_row(w.name, f"[{style}]{w.status}[/]", ", ".join(w.queues),
                      format_time(w.heartbeat_at), w.host or "-", str(w.pid or "-"))
    make_console().print(table)
