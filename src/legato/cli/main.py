"""The `legato` command group; the console script and `python -m legato` call `main`."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version

import click

from .db import db_group
from .deploy import deploy_command
from .deployments import backfill_command, deployments_group
from .events import events_group
from .limits import concurrency_limits_group, work_queues_group
from .resume import resume_command
from .run import run_command
from .runs import runs_group
from .server import server_command
from .triggers import triggers_group
from .worker import worker_command
from .workers import workers_group


def legato_version() -> str:
    try:
        return package_version("legato")
    except PackageNotFoundError:
        return "unknown"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(legato_version(), prog_name="legato")
def cli() -> None:
    """Legato: run Python workflows with durable state, retries and logs."""


@cli.command("version")
def version_command() -> None:
    """Print Legato's version."""
    click.echo(f"legato {legato_version()}")


cli.add_command(run_command)
runs_group.add_command(resume_command)
cli.add_command(runs_group)
cli.add_command(db_group)
cli.add_command(server_command)
cli.add_command(worker_command)
cli.add_command(workers_group)
cli.add_command(deploy_command)
cli.add_command(deployments_group)
cli.add_command(backfill_command)
cli.add_command(events_group)
cli.add_command(work_queues_group)
cli.add_command(concurrency_limits_group)
cli.add_command(triggers_group)


def main() -> None:
    """Entry point of the `legato` console script."""
    cli(prog_name="legato")
