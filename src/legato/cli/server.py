"""`legato server [--host] [--port] [--db] [--auth] [--no-scheduler] [--no-monitor] [--no-worker]`:
serve the REST API with the scheduler, the monitor and a local worker over the configured
database until SIGTERM or Ctrl-C."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from legato.settings import Settings

from .errors import cli_errors

if TYPE_CHECKING:
    from legato.orchestration.local import LocalBackend
    from legato.server.background import BackgroundLoops

# How long the local worker waits, after the worker's grace period, before the server exits.
WORKER_JOIN_MARGIN_SECONDS = 15.0


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
    "--auth",
    is_flag=True,
    help="Require credentials (API tokens, signed-in users); needed for a non-loopback --host.",
)
@click.option(
    "--no-scheduler",
    is_flag=True,
    help="Do not run the scheduler (another process makes the scheduled runs).",
)
@click.option(
    "--no-monitor",
    is_flag=True,
    help="Do not crash runs whose lease expired (another server's monitor does).",
)
@click.option("--no-worker", is_flag=True, help="Do not run a local worker (separate workers do).")
@click.option("--worker-limit", type=click.IntRange(1, 1000), default=4, show_default=True,
              help="How many runs the local worker executes at once.")
@click.option("--queue", "queues", multiple=True, metavar="Q",
              help="A work queue the local worker takes runs from, besides default (repeatable).")
@click.option("--worker-grace-seconds", type=click.FloatRange(min=0), default=10.0,
              show_default=True,
              help="On SIGTERM, how long the local worker's runs may finish before they stop.")
def server_command(
    host: str | None,
    port: int | None,
    database_url: str | None,
    auth: bool,
    no_scheduler: bool,
    no_monitor: bool,
    no_worker: bool,
    worker_limit: int,
    queues: tuple[str, ...],
    worker_grace_seconds: float,
) -> None:
    """Serve the REST API under /api/v1 with a local worker until stopped.

    Example: legato server --port 4200 --worker-limit 8
    """
    # Imported here so that other commands start without loading FastAPI and uvicorn.
    from legato.server.runner import serve

    def announce(url: str) -> None:
        click.echo(f"Legato API serving at {url} (docs at {url}/docs); press Ctrl-C to stop.")

    def add_worker(loops: BackgroundLoops, backend: LocalBackend, settings: Settings) -> None:
        from legato.workers.local import local_worker

        worker = local_worker(backend, settings, list(dict.fromkeys(["default", *queues])), worker_limit,
                              grace_seconds=worker_grace_seconds)
        loops.add("worker", worker.run,
                  join_seconds=worker_grace_seconds + WORKER_JOIN_MARGIN_SECONDS)

    with cli_errors():
        settings = Settings.from_env()
        serve(
            settings,
            host=host,
            port=port,
            database_url=database_url,
            auth=auth or settings.auth,
            scheduler=not no_scheduler,
            monitor=not no_monitor,
            add_loops=None if no_worker else add_worker,
            on_ready=announce,
        )
