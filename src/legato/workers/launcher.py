"""Where a claimed flow run executes: `SubprocessLauncher` starts
`python -m legato.workers.execute <flow_run_id> <epoch>` as a child process (argv, never a
shell string) with the server's URL or the database's in its environment."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from typing import Protocol


class Child(Protocol):
    """A launched run; subprocess.Popen satisfies it."""

    @property
    def pid(self) -> int: ...

    def poll(self) -> int | None: ...

    def send_signal(self, signum: int) -> None: ...

    def terminate(self) -> None: ...

    def kill(self) -> None: ...


class Launcher(Protocol):
    """Starts the execution of one claimed flow run and returns at once."""

    def launch(self, flow_run_id: str, epoch: int) -> Child: ...


def execute_argv(flow_run_id: str, epoch: int) -> list[str]:
    """The command line that executes a claimed run in a fresh interpreter."""
    return [sys.executable, "-m", "legato.workers.execute", flow_run_id, str(epoch)]


class SubprocessLauncher:
    """Runs each flow run in its own Python process, which inherits this one's environment
    plus `env` (e.g. LEGATO_API_URL) and its stdout and stderr.

    >>> SubprocessLauncher({"LEGATO_API_URL": "http://127.0.0.1:4200/api/v1"}).launch(run_id, 1)
    """

    # Its process runs `legato.workers.execute`, which takes a run the claim started.
    starts_claimed = True

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self.env = dict(env or {})

    def launch(self, flow_run_id: str, epoch: int) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            execute_argv(flow_run_id, epoch), env={**os.environ, **self.env}, shell=False
        )


def make_launcher(kind: str, env: Mapping[str, str] | None = None) -> Launcher:
    """The launcher named `kind`: "warm" (WarmLauncher, where os.fork exists) or
    "subprocess"."""
    if kind == "warm" and hasattr(os, "fork"):
        # Imported here: the warm launcher's module is only needed when it is chosen.
        from legato.workers.warm import WarmLauncher

        return WarmLauncher(env)
    if kind in ("warm", "subprocess"):
        return SubprocessLauncher(env)
    raise ValueError(f"unknown launcher {kind!r}; choose warm or subprocess.")
