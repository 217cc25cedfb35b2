"""The `legato` command group; the console script and `python -m legato` call `main`.
Subcommands are imported on first use, so a quick command such as `legato validate` does not
pay for the engine, client and server imports of the others."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version

import click


def legato_version() -> str:
    try:
        return package_version("legato")
    except PackageNotFoundError:
        return "unknown"


def _attr(module: str, name: str) -> Callable[[], click.Command]:
    def load() -> click.Command:
        command = getattr(import_module(f"legato.cli.{module}"), name)
        assert isinstance(command, click.Command)
        return command

    return load


def _runs() -> click.Command:
    group = _attr("runs", "runs_group")()
    assert isinstance(group, click.Group)
    group.add_command(_attr("resume", "resume_command")())
    return group


# name -> loader; each loader returns the click command of that name.
LAZY_COMMANDS: dict[str, Callable[[], click.Command]] = {
    "run": _attr("run", "run_command"),
    "runs": _runs,
    "db": _attr("db", "db_group"),
    "server": _attr("server", "server_command"),
    "worker": _attr("worker", "worker_command"),
    "workers": _attr("workers", "workers_group"),
    "deploy": _attr("deploy", "deploy_command"),
    "deployments": _attr("deployments", "deployments_group"),
    "backfill": _attr("deployments", "backfill_command"),
    "events": _attr("events", "events_group"),
    "work-queues": _attr("limits", "work_queues_group"),
    "concurrency-limits": _attr("limits", "concurrency_limits_group"),
    "triggers": _attr("triggers", "triggers_group"),
    "notifications": _attr("notifications", "notifications_group"),
    "validate": _attr("validate", "validate_command"),
    "templates": _attr("templates", "templates_group"),
    "users": _attr("accounts", "users_group"),
    "tokens": _attr("accounts", "tokens_group"),
    "audit": _attr("audit", "audit_group"),
    "secrets": _attr("vault", "secrets_group"),
    "variables": _attr("vault", "variables_group"),
}


class LazyGroup(click.Group):
    """A group whose LAZY_COMMANDS are imported when they are first looked up."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in LAZY_COMMANDS:
            self.add_command(LAZY_COMMANDS[cmd_name](), cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(legato_version(), prog_name="legato")
def cli() -> None:
    """Legato: run Python workflows with durable state, retries and logs."""


@cli.command("version")
def version_command() -> None:
    """Print Legato's version."""
    click.echo(f"legato {legato_version()}")


def main() -> None:
    """Entry point of the `legato` console script."""
    cli(prog_name="legato")
