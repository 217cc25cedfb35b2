"""`legato deployments ls|show|run|pause|resume|delete` and `legato backfill`: manage the
deployments of a server over its API. DEPLOYMENT is an id or "flow_name/deployment_name"."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

import click
from rich.markup import escape
from rich.table import Table

from legato.client.deploy import default_api_url
from legato.client.deployments import DeploymentsClient
from legato.schemas.deployments import DeploymentModel, DeploymentRunModel, ScheduleModel
from legato.settings import Settings

from .errors import cli_errors
from .output import dumps, echo_json, format_time, make_console
from .params import parse_params, string_parameters

F = TypeVar("F", bound=Callable[..., Any])


def api_url_option(command: F) -> F:
    """The `--api-url` option: the server to talk to (default LEGATO_API_URL)."""
    return click.option(
        "--api-url",
        default=None,
        metavar="URL",
        help="The Legato server (default LEGATO_API_URL, else http://127.0.0.1:4200).",
    )(command)


@contextmanager
def deployments_client(api_url: str | None) -> Iterator[DeploymentsClient]:
    """A client on the chosen server, with Legato errors reported as one line."""
    with cli_errors(), DeploymentsClient(
        default_api_url(api_url), api_key=Settings.from_env().api_key
    ) as client:
        yield client


def describe_schedule(schedule: ScheduleModel) -> str:
    """A short label such as "cron '0 * * * *' (UTC)" or "every 300 s (UTC)"."""
    if schedule.interval is not None:
        text = f"every {schedule.interval} s"
    else:
        text = f"{schedule.kind.value} {(schedule.cron or schedule.rrule)!r}"
    text = f"{text} ({schedule.timezone})"
    return text if schedule.active else f"{text} (inactive)"


def deployment_dict(deployment: DeploymentModel) -> dict[str, Any]:
    return deployment.model_dump(mode="json")


def run_dict(run: DeploymentRunModel) -> dict[str, Any]:
    return run.model_dump(mode="json")


def deployments_table(deployments: list[DeploymentModel]) -> Table:
    table = Table(box=None, header_style="bold")
    for column in ("ID", "DEPLOYMENT", "SCHEDULES", "STATUS", "QUEUE", "TAGS"):
        table.add_column(column, no_wrap=column == "ID")
    for deployment in deployments:
        table.add_row(
            deployment.id,
            escape(f"{deployment.flow_name}/{deployment.name}"),
            escape("; ".join(describe_schedule(s) for s in deployment.schedules) or "-"),
            "[yellow]paused[/]" if deployment.paused else "[green]active[/]",
            escape(deployment.work_queue),
            escape(", ".join(deployment.tags)),
        )
    return table


def runs_table(runs: list[DeploymentRunModel]) -> Table:
    table = Table(box=None, header_style="bold")
    for column in ("ID", "SLOT", "STATE", "KIND", "PARAMETERS"):
        table.add_column(column, no_wrap=column == "ID")
    for run in runs:
        kind = "backfill" if run.is_backfill else "schedule" if run.schedule_id else "manual"
        table.add_row(run.id, format_time(run.scheduled_time), run.state.value,
                      kind + (" (late)" if run.late else ""), escape(dumps(run.parameters)))
    return table


@click.group("deployments")
def deployments_group() -> None:
    """List, inspect, run, pause, resume and delete deployments on a server."""


@deployments_group.command("ls")
@click.option("--flow", "flow_name", metavar="NAME", help="Only deployments of this flow.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@api_url_option
def ls_command(flow_name: str | None, limit: int, as_json: bool, api_url: str | None) -> None:
    """List deployments, oldest first.

    Example: legato deployments ls --flow hello
    """
    with deployments_client(api_url) as client:
        found = client.list_deployments(flow_name=flow_name, limit=limit)
    if as_json:
        echo_json([deployment_dict(d) for d in found])
    elif found:
        make_console().print(deployments_table(found))
    else:
        click.echo("no deployments")


@deployments_group.command("show")
@click.argument("deployment")
@click.option("--runs", "run_limit", default=20, show_default=True, type=click.IntRange(0, 500),
              help="How many of its runs to show.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@api_url_option
def show_command(deployment: str, run_limit: int, as_json: bool, api_url: str | None) -> None:
    """Show a deployment, its schedules and its first runs."""
    with deployments_client(api_url) as client:
        found = client.resolve(deployment)
        runs = client.runs(found.id, limit=run_limit) if run_limit else []
    if as_json:
        echo_json({"deployment": deployment_dict(found), "runs": [run_dict(r) for r in runs]})
        return
    console = make_console()
    console.print(f"[bold]deployment {escape(found.flow_name)}/{escape(found.name)}[/] "
                  f"({found.id})", highlight=False)
    for key in ("entrypoint", "flow_version_id", "parameters", "work_queue", "tags", "paused",
                "catchup", "max_active_runs", "run_timeout_seconds", "priority", "version",
                "description"):
        value = getattr(found, key)
        shown = dumps(value) if key == "parameters" else ", ".join(value) if key == "tags" else value
        console.print(f"  {key:<16} {escape(str(shown))}", highlight=False)
    for schedule in found.schedules:
        nxt = format_time(schedule.next_slot)
        console.print(f"  schedule         {escape(describe_schedule(schedule))}, next {nxt}"
                      + (f" - error: {escape(schedule.error)}" if schedule.error else ""),
                      highlight=False)
    if runs:
        console.print(f"\n[bold]runs[/] (first {len(runs)})")
        console.print(runs_table(runs))


@deployments_group.command("run")
@click.argument("deployment")
@click.option("-p", "--param", "params", multiple=True, metavar="KEY=VALUE",
              help="Override a default parameter; the value is read as JSON when it parses.")
@click.option("--idempotency-key", default=None, metavar="KEY",
              help="Repeating the command with this key returns the same run.")
@click.option("--priority", type=click.IntRange(-1_000_000, 1_000_000), default=None,
              help="Claim priority of this run (higher first); default: the deployment's.")
@click.option("--json", "as_json", is_flag=True, help="Print the run as one JSON object.")
@api_url_option
def run_command(
    deployment: str, params: tuple[str, ...], idempotency_key: str | None,
    priority: int | None, as_json: bool, api_url: str | None,
) -> None:
    """Make a SCHEDULED run of a deployment now; a worker of its queue will execute it.

    Example: legato deployments run hello/every-minute -p name=Ada
    """
    with deployments_client(api_url) as client:
        found = client.resolve(deployment)
        # Text stays text for string parameters: `-p name=3` means "3", not 3.
        parameters = parse_params(params, string_parameters(found.parameter_schema or {}))
        run = client.run(found.id, parameters, idempotency_key=idempotency_key,
                         priority=priority)
    if as_json:
        echo_json(run_dict(run))
    else:
        click.echo(f"flow run {run.id} of {found.flow_name}/{found.name} is {run.state.value} "
                   f"on queue {found.work_queue!r}")


def _set_paused(deployment: str, api_url: str | None, paused: bool, as_json: bool) -> None:
    with deployments_client(api_url) as client:
        found = client.resolve(deployment)
        changed = client.pause(found.id) if paused else client.resume(found.id)
    if as_json:
        echo_json(deployment_dict(changed))
    else:
        click.echo(f"deployment {changed.flow_name}/{changed.name} is "
                   f"{'paused' if changed.paused else 'active'}")


@deployments_group.command("pause")
@click.argument("deployment")
@click.option("--json", "as_json", is_flag=True, help="Print the deployment as JSON.")
@api_url_option
def pause_command(deployment: str, as_json: bool, api_url: str | None) -> None:
    """Stop a deployment's schedules from making runs."""
    _set_paused(deployment, api_url, True, as_json)


@deployments_group.command("resume")
@click.argument("deployment")
@click.option("--json", "as_json", is_flag=True, help="Print the deployment as JSON.")
@api_url_option
def resume_command(deployment: str, as_json: bool, api_url: str | None) -> None:
    """Resume a paused deployment; missed slots follow its catch-up policy."""
    _set_paused(deployment, api_url, False, as_json)


@deployments_group.command("delete")
@click.argument("deployment")
@api_url_option
def delete_command(deployment: str, api_url: str | None) -> None:
    """Delete a deployment and its schedules; its runs stay as history."""
    with deployments_client(api_url) as client:
        found = client.resolve(deployment)
        client.delete(found.id)
    click.echo(f"deployment {found.flow_name}/{found.name} deleted")


def parse_moment(value: str, label: str) -> datetime:
    """An ISO 8601 date or time; without an offset it is UTC.

    >>> parse_moment("2026-01-01", "--start").isoformat()
    '2026-01-01T00:00:00+00:00'
    """
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO 8601 time; write it like 2026-01-01 or "
            "2026-01-01T06:00:00+01:00.",
            param_hint=label,
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@click.command("backfill")
@click.argument("deployment")
@click.option("--start", required=True, metavar="ISO", help="First instant (inclusive).")
@click.option("--end", required=True, metavar="ISO", help="Last instant (exclusive).")
@click.option("--max-runs", default=1000, show_default=True, type=click.IntRange(1, 10_000),
              help="Refuse a range with more slots than this.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@api_url_option
def backfill_command(
    deployment: str, start: str, end: str, max_runs: int, as_json: bool, api_url: str | None
) -> None:
    """Make one SCHEDULED run per slot of a deployment's schedules in [start, end); slots
    already backfilled are skipped. Times without an offset are UTC.

    Example: legato backfill hello/hourly --start 2026-01-01 --end 2026-01-02
    """
    first, last = parse_moment(start, "'--start'"), parse_moment(end, "'--end'")
    with deployments_client(api_url) as client:
        found = client.resolve(deployment)
        created = client.backfill(found.id, first, last, max_runs=max_runs)
    if as_json:
        echo_json({"deployment_id": found.id, "created": created})
    else:
        click.echo(f"backfill of {found.flow_name}/{found.name} from {first.isoformat()} to "
                   f"{last.isoformat()}: {created} new run(s)")
