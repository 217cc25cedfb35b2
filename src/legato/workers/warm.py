"""`WarmLauncher`: launches each claimed run as a child forked from a warm parent
(`legato.workers.forkserver`) that has Legato imported already, so a run starts in
milliseconds instead of an interpreter start-up. The parent is started on first use and
again if it dies; children are polled and signalled through it."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping

from legato._clock import perf_seconds
from legato.core.records import FlowRunRecord, FlowVersionRecord
from legato.workers.handover import encode_start

_log = logging.getLogger("legato.workers.warm")
# How long a launch waits for the warm parent to import Legato and then to fork.
START_TIMEOUT_SECONDS = 60.0
LAUNCH_TIMEOUT_SECONDS = 10.0
# The status a child gets when its warm parent died and nobody can report its exit.
LOST_STATUS = -int(signal.SIGKILL)


class WarmChild:
    """A run's process forked by the warm parent; satisfies the launcher's `Child`."""

    def __init__(self, parent: _Parent, pid: int) -> None:
        self._parent = parent
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = self._parent.take_status(self.pid)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        self._parent.signal(self.pid, signum)

    def terminate(self) -> None:
        self._parent.signal(self.pid, signal.SIGTERM)

    def kill(self) -> None:
        self._parent.signal(self.pid, signal.SIGKILL)


class _Parent:
    """One running fork server and a thread reading its events."""

    def __init__(self, env: Mapping[str, str]) -> None:
        commands_r, self._commands = os.pipe()
        events_r, events_w = os.pipe()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "legato.workers.forkserver", str(commands_r),
                 str(events_w)],
                env={**os.environ, **env}, pass_fds=(commands_r, events_w), shell=False,
            )
        finally:
            os.close(commands_r)
            os.close(events_w)
        self._events = os.fdopen(events_r, "rb")
        self._lock = threading.Condition()
        self._ready = False
        self._dead = False
        self._pids: dict[str, int | str] = {}  # run id -> pid, or the reason it failed
        self._live: set[int] = set()
        self._exits: dict[int, int] = {}
        self._reader = threading.Thread(target=self._read, name="legato-warm-events",
                                        daemon=True)
        self._reader.start()

    @property
    def alive(self) -> bool:
        with self._lock:
            return not self._dead

    def _read(self) -> None:
        with self._events:
            self._dispatch_events()
        self.process.wait()
        with self._lock:
            self._dead = True
            orphans, self._live = self._live, set()
            self._lock.notify_all()
        # Nobody is left to reap or report them: stop them, and count them as lost.
        for pid in orphans:
            _kill(pid)
            with self._lock:
                self._exits[pid] = LOST_STATUS

    def _dispatch_events(self) -> None:
        for raw in self._events:
            words = raw.decode(errors="replace").split(maxsplit=2)
            with self._lock:
                if words == ["ready"]:
                    self._ready = True
                elif len(words) == 3 and words[0] == "pid":
                    pid = int(words[2])
                    self._pids[words[1]] = pid
                    self._live.add(pid)
                elif len(words) == 3 and words[0] == "failed":
                    self._pids[words[1]] = words[2].strip()
                elif len(words) == 3 and words[0] == "exit":
                    pid = int(words[1])
                    self._live.discard(pid)
                    self._exits[pid] = int(words[2])
                self._lock.notify_all()

    def wait_ready(self) -> None:
        """Wait until the parent has imported everything and takes runs."""
        with self._lock:
            self._wait_for(lambda: self._ready, START_TIMEOUT_SECONDS, "start")

    def launch(self, flow_run_id: str, epoch: int, start: str | None = None) -> int:
        self.wait_ready()
        self._write(f"run {flow_run_id} {epoch}{' ' + start if start else ''}\n")
        with self._lock:
            self._wait_for(lambda: flow_run_id in self._pids, LAUNCH_TIMEOUT_SECONDS, "fork")
            result = self._pids.pop(flow_run_id)
        if isinstance(result, str):
            raise OSError(f"the warm parent could not fork: {result}")
        return result

    def _wait_for(self, done: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = perf_seconds() + timeout
        while not done():
            if self._dead:
                raise OSError(f"the warm parent exited (status {self.process.returncode})")
            remaining = deadline - perf_seconds()
            if remaining <= 0:
                raise OSError(f"the warm parent did not {what} within {timeout:.0f} s")
            self._lock.wait(remaining)

    def _write(self, line: str) -> None:
        data = line.encode()
        try:
            while data:
                data = data[os.write(self._commands, data):]
        except OSError as error:  # a dead parent: the launch fails and the run is crashed
            raise OSError(f"the warm parent is gone ({error})") from error

    def take_status(self, pid: int) -> int | None:
        """The exit status of a child once it ended (handed out once), else None."""
        with self._lock:
            return self._exits.pop(pid, None)

    def signal(self, pid: int, signum: int) -> None:
        with self._lock:
            if pid not in self._live:
                return
        try:
            self._write(f"signal {pid} {int(signum)}\n")
        except OSError:
            pass  # the parent died; the reader thread stops its orphans

    def close(self, wait_seconds: float | None) -> None:
        """Stop taking runs; the parent exits once its remaining children have. With
        `wait_seconds`, wait that long for it (then kill it)."""
        try:
            os.close(self._commands)
        except OSError:
            pass
        if wait_seconds is not None:
            try:
                self.process.wait(wait_seconds)
            except subprocess.TimeoutExpired:
                self.process.kill()
            self._reader.join(wait_seconds)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


class WarmLauncher:
    """Launches runs as children forked from a warm parent process with Legato imported;
    the parent (and its environment: this process's plus `env`) is started on first use.

    >>> launcher = WarmLauncher({"LEGATO_API_URL": "http://127.0.0.1:4200/api/v1"})
    >>> child = launcher.launch(run_id, 1)  # doctest: +SKIP
    """

    # Its children run `legato.workers.execute`, which takes a run the claim started.
    starts_claimed = True

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self.env = dict(env or {})
        self._parent: _Parent | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the warm parent now rather than at the first launch, and wait until it
        takes runs: a worker that claimed runs meanwhile would hold their leases without
        heartbeating them while its first launch waits for the parent."""
        self._current().wait_ready()

    def _current(self) -> _Parent:
        with self._lock:
            if self._parent is None or not self._parent.alive:
                if self._parent is not None:
                    _log.warning("the warm parent exited (status %s); starting another",
                                 self._parent.process.returncode)
                self._parent = _Parent(self.env)
            return self._parent

    def launch(self, flow_run_id: str, epoch: int) -> WarmChild:
        parent = self._current()
        return WarmChild(parent, parent.launch(flow_run_id, epoch))

    def launch_claimed(self, claimed: FlowRunRecord, epoch: int,
                       version: FlowVersionRecord | None) -> WarmChild:
        """Launch a claimed run handing its process the record and pinned version the
        worker already has, so the run starts without reading them from the backend."""
        parent = self._current()
        start = encode_start(claimed, version)
        return WarmChild(parent, parent.launch(claimed.id, epoch, start))

    def close(self, wait_seconds: float | None = None) -> None:
        """Let the warm parent exit once its children have (it takes no more runs); with
        `wait_seconds`, wait that long for it to exit, then kill it."""
        with self._lock:
            parent, self._parent = self._parent, None
        if parent is not None:
            parent.close(wait_seconds)
