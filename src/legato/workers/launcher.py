"""Where a claimed flow run executes: `SubprocessLauncher` starts
`python -m legato.workers.execute <flow_run_id> <epoch> [--start-fd N]` as a child process
(argv, never a shell string) with the server's URL or the database's in its environment."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from typing import Protocol

from legato.core.records import FlowRunRecord, FlowVersionRecord
from legato.workers.execute import START_FD_OPTION
from legato.workers.handover import encode_start


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


def execute_argv(flow_run_id: str, epoch: int, start_fd: int | None = None) -> list[str]:
    """The command line that executes a claimed run in a fresh interpreter; with `start_fd`,
    the run's process reads what `encode_start` made from that inherited descriptor."""
    argv = [sys.executable, "-m", "legato.workers.execute", flow_run_id, str(epoch)]
    if start_fd is not None:
        argv += [START_FD_OPTION, str(start_fd)]
    return argv


def _start_pipe(start: bytes) -> int | None:
    """The read end of a pipe that already holds all of `start` (its write end closed), or
    None when the pipe cannot take it in one go (it never blocks the worker)."""
    read, write = os.pipe()
    try:
        os.set_blocking(write, False)
        try:
            written = os.write(write, start)
        except BlockingIOError:
            written = 0
    finally:
        os.close(write)
    if written < len(start):
        os.close(read)
        return None
    return read


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

    def launch_claimed(self, claimed: FlowRunRecord, epoch: int,
                       version: FlowVersionRecord | None) -> subprocess.Popen[bytes]:
        """Launch a claimed run handing its process the record and pinned version the worker
        already has, through a pipe, so it reads neither from the backend before its first
        line. Where descriptors cannot be inherited, or the hand-over does not fit in a
        pipe's buffer, the process reads them itself (`launch`)."""
        if os.name != "posix":
            return self.launch(claimed.id, epoch)
        read = _start_pipe(encode_start(claimed, version).encode())
        if read is None:
            return self.launch(claimed.id, epoch)
        try:
            return subprocess.Popen(
                execute_argv(claimed.id, epoch, read), env={**os.environ, **self.env},
                shell=False, pass_fds=(read,),
            )
        finally:
            os.close(read)


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
