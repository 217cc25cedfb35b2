"""`legato server [--host] [--port] [--db] [--no-scheduler]`: serve the REST API and run the
scheduler over the configured database until SIGTERM or Ctrl-C."""

from __future__ import annotations

import click

from legato.settings import Settings

from .errors import cli_errors


@click.command("server")
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1).")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=None, help="Port (default 4200; 0 picks one)."
)
@click.option(
    "--db",
    "database_url",
    default=None,
    metavar="URL",
    help="Database URL (default from settings).",
)
@click.option(
    "--allow-remote",
    is_flag=True,
    help="Allow a non-loopback --host although the API has no authentication yet.",
)
@click.option(
    "--no-scheduler",
    is_flag=True,
    help="Do not run the scheduler (another process makes the scheduled runs).",
)
def server_command(
    host: str | None,
    port: int | None,
    database_url: str | None,
    allow_remote: bool,
    no_scheduler: bool,
) -> None:
    """Serve the REST API under /api/v1 until stopped.

    Example: legato server --port 4200
    """
    # Imported here so that other commands start without loading FastAPI and uvicorn.
    from legato.server.runner import serve

    def announce(url: str) -> None:
        click.echo(f"Legato API serving at {url} (docs at {url}/docs); press Ctrl-C to stop.")

    with cli_errors():
        settings = Settings.from_env()
        serve(
            settings,
            host=host,
            port=port,
            database_url=database_url,
            allow_remote=allow_remote,
            scheduler=not no_scheduler,
            on_ready=announce,
        )
