"""`legato worker --queue Q [--limit N] [--name NAME] [--api-url URL]`: claim and execute
scheduled runs until SIGTERM or Ctrl-C, then shut down gracefully."""

from __future__ import annotations

import dataclasses
import os
import signal
import socket
import threading
from types import FrameType

import click

from legato import plugins
from legato.settings import HTTP_BACKEND_FACTORY, Settings

from .errors import cli_errors


@click.command("worker")
@click.option("--queue", "queues", multiple=True, metavar="Q",
              help="A work queue to take runs from (repeatable; default: default).")
@click.option("--limit", type=click.IntRange(1, 1000), default=4, show_default=True,
              help="How many runs to execute at once.")
@click.option("--name", default=None, help="Worker name (default: host-pid).")
@click.option("--api-url", default=None, metavar="URL",
              help="The server's API URL (default LEGATO_API_URL; else the database directly).")
@click.option("--lease-seconds", type=click.FloatRange(min=0.5), default=30.0,
              show_default=True, help="How long a claim lasts without a heartbeat.")
@click.option("--grace-seconds", type=click.FloatRange(min=0), default=30.0, show_default=True,
              help="On SIGTERM, how long running runs may finish before they are stopped.")
@click.option("--cancel-grace-seconds", type=click.FloatRange(min=0), default=3.0,
              show_default=True,
              help="How long a cancelled run may take to stop at a task boundary before "
                   "SIGTERM, and then to exit before SIGKILL.")
@click.option("--poll-seconds", type=click.FloatRange(min=0.01), default=1.0,
              show_default=True,
              help="How often to check held runs; a claim waits this long for a new run.")
@click.option("--launcher", "launcher_kind", type=click.Choice(["warm", "subprocess"]),
              default="warm", show_default=True,
              help="warm: fork each run from a parent with Legato imported (fast start); "
                   "subprocess: a fresh interpreter per run.")
def worker_command(queues: tuple[str, ...], limit: int, name: str | None, api_url: str | None,
                   lease_seconds: float, grace_seconds: float, cancel_grace_seconds: float,
                   poll_seconds: float, launcher_kind: str) -> None:
    """Claim scheduled runs of the queues and execute each in its own process.

    Example: legato worker --queue default --limit 4 --api-url http://127.0.0.1:4200/api/v1
    """
    # Imported here so that other commands start without loading the worker.
    from legato.workers.launcher import make_launcher
    from legato.workers.worker import Worker

    with cli_errors():
        settings = Settings.from_env()
        if api_url:
            settings = dataclasses.replace(settings, api_url=api_url,
                                           backend_factory=HTTP_BACKEND_FACTORY)
        env = ({"LEGATO_API_URL": settings.api_url} if settings.api_url
               else {"LEGATO_DATABASE_URL": settings.database_url})
        if settings.api_url and settings.api_key:
            # Each run's process talks to the API with the worker's token.
            env["LEGATO_API_KEY"] = settings.api_key
        backend = plugins.load_object(settings.backend_factory)(settings)
        worker = Worker(backend, name or f"{socket.gethostname()}-{os.getpid()}",
                        list(queues) or ["default"], limit, make_launcher(launcher_kind, env),
                        lease_seconds=lease_seconds, poll_seconds=poll_seconds,
                        grace_seconds=grace_seconds, cancel_grace_seconds=cancel_grace_seconds)
        stop = threading.Event()

        def request_stop(signum: int, frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        click.echo(f"worker {worker.name} polling {', '.join(worker.queues)}; "
                   "press Ctrl-C to stop.")
        try:
            worker.run(stop)
        finally:
            backend.close()
