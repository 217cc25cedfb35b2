"""`legato work-queues ls|create|set|pause|resume` and `legato concurrency-limits
ls|create|show|delete`: work-queue priorities, pauses and limits, and concurrency limits by
tag ("*" for every flow run), over a server's API."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click
from rich.markup import escape
from rich.table import Table

from legato.client.deploy import default_api_url
from legato.client.limits import LimitsClient
from legato.core.limits import GLOBAL_TAG, MAX_PRIORITY, MIN_PRIORITY
from legato.schemas.limits import ConcurrencyLimitModel, WorkQueueModel

from .deployments import api_url_option
from .errors import cli_errors
from .output import echo_json, format_time, make_console

PRIORITY = click.IntRange(MIN_PRIORITY, MAX_PRIORITY)


@contextmanager
def limits_client(api_url: str | None) -> Iterator[LimitsClient]:
    with cli_errors(), LimitsClient(default_api_url(api_url)) as client:
        yield client


def _queue_line(queue: WorkQueueModel) -> str:
    limit = "no limit" if queue.concurrency_limit is None else f"limit {queue.concurrency_limit}"
    status = "paused" if queue.paused else "active"
    return f"work queue {queue.name}: priority {queue.priority}, {limit}, {status}"


def _show_queue(queue: WorkQueueModel, as_json: bool) -> None:
    if as_json:
        echo_json(queue.model_dump(mode="json"))
    else:
        click.echo(_queue_line(queue))


@click.group("work-queues")
def work_queues_group() -> None:
    """Work queues: priority (higher is claimed first), concurrency limit, pause."""


@work_queues_group.command("ls")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@api_url_option
def queues_ls(as_json: bool, api_url: str | None) -> None:
    """List stored work queues, highest priority first (others: priority 0, no limit).

    Example: legato work-queues ls --json
    """
    with limits_client(api_url) as client:
        queues = client.list_work_queues()
    if as_json:
        echo_json([q.model_dump(mode="json") for q in queues])
        return
    if not queues:
        click.echo("no work queues stored; every queue has priority 0 and no limit")
        return
    table = Table(box=None, header_style="bold")
    for column in ("QUEUE", "PRIORITY", "LIMIT", "STATUS", "DESCRIPTION"):
        table.add_column(column)
    for q in queues:
        table.add_row(escape(q.name), str(q.priority),
                      "-" if q.concurrency_limit is None else str(q.concurrency_limit),
                      "[yellow]paused[/]" if q.paused else "[green]active[/]",
                      escape(q.description or ""))
    make_console().print(table)


@work_queues_group.command("create")
@click.argument("name")
@click.option("--priority", type=PRIORITY, default=0, show_default=True,
              help="Workers serving several queues claim from higher priorities first.")
@click.option("--limit", "concurrency_limit", type=click.IntRange(0), default=None,
              help="At most this many of the queue's runs going at once.")
@click.option("--paused", is_flag=True, help="Create it paused: nothing is claimed from it.")
@click.option("--description", default=None)
@click.option("--json", "as_json", is_flag=True, help="Print the queue as JSON.")
@api_url_option
def queues_create(name: str, priority: int, concurrency_limit: int | None, paused: bool,
                  description: str | None, as_json: bool, api_url: str | None) -> None:
    """Store a work queue.

    Example: legato work-queues create etl --priority 10 --limit 4
    """
    with limits_client(api_url) as client:
        queue = client.create_work_queue(name, priority=priority,
                                         concurrency_limit=concurrency_limit, paused=paused,
                                         description=description)
    _show_queue(queue, as_json)


@work_queues_group.command("set")
@click.argument("name")
@click.option("--priority", type=PRIORITY, default=None)
@click.option("--limit", "concurrency_limit", type=click.IntRange(0), default=None,
              help="At most this many of the queue's runs going at once.")
@click.option("--no-limit", is_flag=True, help="Drop the queue's concurrency limit.")
@click.option("--description", default=None)
@click.option("--json", "as_json", is_flag=True, help="Print the queue as JSON.")
@api_url_option
def queues_set(name: str, priority: int | None, concurrency_limit: int | None, no_limit: bool,
               description: str | None, as_json: bool, api_url: str | None) -> None:
    """Change a stored work queue.

    Example: legato work-queues set etl --limit 2
    """
    if no_limit and concurrency_limit is not None:
        raise click.UsageError("give --limit N or --no-limit, not both.")
    changes: dict[str, Any] = {}
    if priority is not None:
        changes["priority"] = priority
    if concurrency_limit is not None or no_limit:
        changes["concurrency_limit"] = concurrency_limit
    if description is not None:
        changes["description"] = description
    if not changes:
        raise click.UsageError("nothing to change; give --priority, --limit, --no-limit or "
                               "--description.")
    with limits_client(api_url) as client:
        queue = client.update_work_queue(name, **changes)
    _show_queue(queue, as_json)


@work_queues_group.command("pause")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the queue as JSON.")
@api_url_option
def queues_pause(name: str, as_json: bool, api_url: str | None) -> None:
    """Stop workers claiming from a queue (runs wait SCHEDULED; running ones go on)."""
    with limits_client(api_url) as client:
        queue = client.set_paused(name, True)
    _show_queue(queue, as_json)


@work_queues_group.command("resume")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the queue as JSON.")
@api_url_option
def queues_resume(name: str, as_json: bool, api_url: str | None) -> None:
    """Let workers claim from a paused queue again."""
    with limits_client(api_url) as client:
        queue = client.set_paused(name, False)
    _show_queue(queue, as_json)


def _limit_dict(limit: ConcurrencyLimitModel) -> dict[str, Any]:
    return limit.model_dump(mode="json")


def _tag_label(tag: str) -> str:
    return "* (every run)" if tag == GLOBAL_TAG else tag


@click.group("concurrency-limits")
def concurrency_limits_group() -> None:
    """Concurrency limits by tag: at most N flow runs carrying the tag at once."""


@concurrency_limits_group.command("ls")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@api_url_option
def limits_ls(as_json: bool, api_url: str | None) -> None:
    """List limits with their slots in use."""
    with limits_client(api_url) as client:
        found = client.list_concurrency_limits()
    if as_json:
        echo_json([_limit_dict(x) for x in found])
        return
    if not found:
        click.echo("no concurrency limits")
        return
    table = Table(box=None, header_style="bold")
    for column in ("TAG", "IN USE", "LIMIT", "HOLDERS"):
        table.add_column(column)
    for x in found:
        table.add_row(escape(_tag_label(x.tag)), str(x.in_use), str(x.limit),
                      ", ".join(h.flow_run_id for h in x.holders) or "-")
    make_console().print(table)


@concurrency_limits_group.command("create")
@click.argument("tag")
@click.argument("limit", type=click.IntRange(0))
@click.option("--json", "as_json", is_flag=True, help="Print the limit as JSON.")
@api_url_option
def limits_create(tag: str, limit: int, as_json: bool, api_url: str | None) -> None:
    """Limit flow runs tagged TAG to LIMIT at once ('*' limits every run); changes the
    limit when it exists. Runs going now count at once.

    Example: legato concurrency-limits create database 2
    """
    with limits_client(api_url) as client:
        made = client.set_concurrency_limit(tag, limit)
    if as_json:
        echo_json(_limit_dict(made))
    else:
        click.echo(f"concurrency limit {_tag_label(made.tag)}: {made.in_use} of {made.limit} "
                   "slots in use")


@concurrency_limits_group.command("show")
@click.argument("tag")
@click.option("--json", "as_json", is_flag=True, help="Print the limit as JSON.")
@api_url_option
def limits_show(tag: str, as_json: bool, api_url: str | None) -> None:
    """Show a limit's slots: in use, limit and the runs holding them."""
    with limits_client(api_url) as client:
        found = client.read_concurrency_limit(tag)
    if as_json:
        echo_json(_limit_dict(found))
        return
    click.echo(f"concurrency limit {_tag_label(found.tag)}: {found.in_use} of {found.limit} "
               "slots in use")
    for holder in found.holders:
        click.echo(f"  {holder.flow_run_id}  since {format_time(holder.acquired_at)}, lease "
                   f"until {format_time(holder.expires_at)}")


@concurrency_limits_group.command("delete")
@click.argument("tag")
@api_url_option
def limits_delete(tag: str, api_url: str | None) -> None:
    """Drop a tag's limit; runs it held back become claimable."""
    with limits_client(api_url) as client:
        client.delete_concurrency_limit(tag)
    click.echo(f"concurrency limit {_tag_label(tag)} deleted")
