"""The worker `legato server` runs in its own process: it uses the server's backend directly
and launches each run (warm-forked by default) on the server's database and home."""

from __future__ import annotations

import os
import socket
from collections.abc import Sequence

from legato.core.backend import Backend
from legato.settings import Settings
from legato.workers.launcher import make_launcher
from legato.workers.worker import DEFAULT_GRACE_SECONDS, Worker


def child_env(settings: Settings) -> dict[str, str]:
    """What a run's process needs to write to the server's database, not to a server's API
    or another backend that this process's environment may name."""
    return {
        "LEGATO_DATABASE_URL": settings.database_url,
        "LEGATO_HOME": str(settings.home),
        "LEGATO_RESULTS_URL": settings.results_url,
        "LEGATO_API_URL": "",
        "LEGATO_BACKEND_FACTORY": "",
    }


def local_worker(
    backend: Backend,
    settings: Settings,
    queues: Sequence[str] = ("default",),
    limit: int = 4,
    *,
    grace_seconds: float = DEFAULT_GRACE_SECONDS,
    launcher: str = "warm",
) -> Worker:
    """A worker named `local-<host>-<pid>` that claims runs of `queues` through `backend`.

    >>> local_worker(backend, settings, ["default"], 4).run(stop)  # doctest: +SKIP
    """
    name = f"local-{socket.gethostname()}-{os.getpid()}"
    return Worker(backend, name, list(queues) or ["default"], limit,
                  make_launcher(launcher, child_env(settings)),
                  grace_seconds=grace_seconds)
