"""`python -m legato.workers.forkserver CMD_FD EVENT_FD`: the warm parent a worker's
WarmLauncher starts. It imports the engine and the client once, then forks one child per run
(the child executes it as `legato.workers.execute` would and exits), reaps the children and
reports their pids and exit statuses. It stays single-threaded so forking is safe.

Protocol, one line per message: commands `run <flow_run_id> <epoch> [<start>]` (`start`
is what the worker knows of the claimed run, from `execute.encode_start`) and
`signal <pid> <signum>`; events `ready`, `pid <flow_run_id> <pid>` (or `failed <flow_run_id>
<reason>`) and `exit <pid> <status>` (a negative status is the signal that ended it)."""

from __future__ import annotations

import atexit
import errno
import gc
import logging
import os
import select
import signal
import sys
from collections.abc import Sequence

# Imported before any fork so each child starts with them loaded (the point of the warm
# parent); none of them starts a thread or opens a connection at import. cloudpickle is
# what results fall back to; importing it takes longer than a trivial run.
import cloudpickle  # noqa: F401

import legato.client.http
import legato.engine.flow_engine
import legato.sdk.runtime
from legato import plugins
from legato.client import session
from legato.core.records import FlowRunRecord, FlowVersionRecord
from legato.engine import run_logging
from legato.settings import HTTP_BACKEND_FACTORY, Settings
from legato.workers import execute

_log = logging.getLogger("legato.workers.forkserver")


class ForkServer:
    """The loop: read commands, fork children, report exits."""

    def __init__(self, commands: int, events: int) -> None:
        self.commands = commands
        self.events = events
        self.children: set[int] = set()
        self.buffer = b""
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_w, False)
        os.set_blocking(self.wake_r, False)

    def send(self, line: str) -> None:
        data = (line + "\n").encode()
        while data:
            data = data[os.write(self.events, data):]

    def serve(self) -> int:
        # SIGCHLD only wakes select(); children are reaped in the loop.
        signal.signal(signal.SIGCHLD, lambda signum, frame: None)
        signal.set_wakeup_fd(self.wake_w)
        self.send("ready")
        open_commands = True
        while open_commands or self.children:
            readable = [self.wake_r] + ([self.commands] if open_commands else [])
            try:
                ready, _, _ = select.select(readable, [], [], 1.0)
            except InterruptedError:
                ready = []
            if self.wake_r in ready:
                _drain(self.wake_r)
            self.reap()
            if open_commands and self.commands in ready:
                open_commands = self.read_commands()
        return 0

    def read_commands(self) -> bool:
        """Handle every complete command line; False once the worker closed the pipe (the
        children still run to their end, as subprocesses of a dead worker would)."""
        chunk = os.read(self.commands, 65536)
        if not chunk:
            return False
        self.buffer += chunk
        *lines, self.buffer = self.buffer.split(b"\n")
        for line in lines:
            self.handle(line.decode().split())
        return True

    def handle(self, words: list[str]) -> None:
        if len(words) in (3, 4) and words[0] == "run" and words[2].isdigit():
            self.fork(words[1], int(words[2]), words[3] if len(words) == 4 else None)
        elif len(words) == 3 and words[0] == "signal" and words[1].isdigit():
            pid = int(words[1])
            # Only our own live children: a reaped pid may already belong to someone else.
            if pid in self.children:
                try:
                    os.kill(pid, int(words[2]))
                except ProcessLookupError:
                    pass
        else:
            _log.warning("fork server ignored a malformed command %r", " ".join(words))

    def fork(self, flow_run_id: str, epoch: int, start: str | None = None) -> None:
        # Decoded here rather than in the child (the same work, once), so that the pinned
        # source is compiled once per version for every child to come.
        decoded = None if start is None else execute.decode_claimed(flow_run_id, start)
        if decoded is not None and decoded[1] is not None:
            version = decoded[1]
            legato.sdk.runtime.precompile_pinned(
                decoded[0].entrypoint or "", version.source, version.source_hash)
        sys.stdout.flush()
        sys.stderr.flush()
        try:
            pid = os.fork()
        except OSError as error:
            self.send(f"failed {flow_run_id} {error.strerror or error}")
            return
        if pid == 0:
            self.become_child(flow_run_id, epoch, decoded)
        self.children.add(pid)
        self.send(f"pid {flow_run_id} {pid}")

    def become_child(self, flow_run_id: str, epoch: int,
                     start: tuple[FlowRunRecord, FlowVersionRecord | None] | None) -> None:
        """Execute the run in this forked child and exit; never returns."""
        code = 1
        try:
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            for fd in (self.commands, self.events, self.wake_r, self.wake_w):
                os.close(fd)
            if start is None:
                code = execute.main([flow_run_id, str(epoch)])
            else:
                code = execute.execute(flow_run_id, epoch, *start)
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 1
        except BaseException:
            logging.getLogger("legato.workers.execute").exception(
                "flow run %s failed in its process", flow_run_id
            )
        finally:
            # os._exit skips the parent's stack; run what a normal exit would run.
            try:
                atexit._run_exitfuncs()
                logging.shutdown()
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(code)

    def reap(self) -> None:
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                self.children.clear()
                return
            if pid == 0:
                return
            self.children.discard(pid)
            self.send(f"exit {pid} {os.waitstatus_to_exitcode(status)}")


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 4096):
            pass
    except OSError as error:
        if error.errno not in (errno.EAGAIN, errno.EWOULDBLOCK):
            raise


def preload() -> None:
    """Import what the configured backend needs, without connecting to anything, and load
    what every HTTP client of a child would otherwise load again: the TLS context (its CA
    bundle) and what a first request loads and compiles. With a server URL, build the
    process's HTTP backend and result writer here: they open no connection until used, so
    every child inherits them ready (and opens its own connection), and send one request
    to nowhere so that a child's first request finds everything it loads on first use."""
    settings = Settings.from_env()
    plugins.load_object(settings.backend_factory)
    session.ssl_context()
    if settings.backend_factory == HTTP_BACKEND_FACTORY:
        legato.sdk.runtime.get_backend()
        if settings.api_url:
            session.warm_up(settings.api_url)
    legato.sdk.runtime.get_results()
    # Each child would otherwise attach the run log handlers again on its first run.
    run_logging.configure()
    # What is loaded now stays: a frozen heap is never scanned by the children's collector,
    # which would otherwise touch (and so copy) every page of it in each child.
    gc.collect()
    gc.freeze()


def main(argv: Sequence[str]) -> int:
    if len(argv) != 2 or not all(arg.isdigit() for arg in argv):
        print("usage: python -m legato.workers.forkserver CMD_FD EVENT_FD", file=sys.stderr)
        return 2
    preload()
    # The worker's SIGINT (Ctrl-C in a terminal) reaches the whole process group; the
    # worker decides what happens to runs, so the warm parent ignores it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        return ForkServer(int(argv[0]), int(argv[1])).serve()
    except BrokenPipeError:
        # The worker is gone (it may stop before this parent is ready, e.g. refused by the
        # server): there is nobody left to serve, and nothing to report.
        return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    sys.exit(main(sys.argv[1:]))
