"""The run's step spawner (namespace isolation): one small process per workflow run, started
before steps run, that starts each step in its own mount namespace (`_spawner_main`). The run
process never forks itself for a step: it sends a request with the step's pipes and reads the
step's pid, then its exit status, from a status pipe of that step's own."""

from __future__ import annotations

import atexit
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

from legato.errors import ConfigError

PROGRAM = Path(__file__).with_name("_spawner_main.py")
READY_TIMEOUT = 10.0


class SpawnerUnavailable(Exception):
    """The spawner could not be started here; the message says why."""


_shared: Spawner | None = None
_shared_lock = threading.Lock()


def shared_spawner() -> Spawner:
    """This process's spawner, started on first use and replaced once it has stopped. The
    workflow runs of one process (a worker's, a server's, a test session's) share it, so its
    start (an interpreter: about 30 ms of CPU and 40-80 ms of wall time here) is paid once
    per process, not once per run."""
    global _shared
    with _shared_lock:
        if _shared is None or not _shared.alive():
            if _shared is not None and _shared.owner == os.getpid():
                _shared.close()
            elif _shared is not None:  # a forked copy: the parent's spawner is not ours
                _shared.sock.close()
            _shared = Spawner()
        return _shared


@atexit.register
def _close_shared() -> None:
    if _shared is not None and _shared.owner == os.getpid():
        _shared.close()


class Spawner:
    """The run process's end of the spawner: `spawn` from any thread, `close` at run end.
    `environment` is the run's environment: the spawner starts with it, and each request
    carries only what a step's environment changes."""

    def __init__(self, environment: Mapping[bytes, bytes] | None = None) -> None:
        # The spawner's own environment is the run's with the TMPDIR a namespaced step has
        # (its private /tmp), so a step that sets nothing else sends no environment and
        # inherits the spawner's as it is (no environment built per start).
        self.environment = {**(os.environb if environment is None else environment),
                            b"TMPDIR": b"/tmp"}
        self.owner = os.getpid()  # a forked child must start its own
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-I", "-S", str(PROGRAM), str(theirs.fileno())],
                pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, env=self.environment,
                # Ctrl-C reaches the run process, which stops its steps; the spawner (which
                # cannot ignore SIGINT without its steps inheriting that) ends with the run.
                start_new_session=True)
        except OSError as exc:
            ours.close()
            raise SpawnerUnavailable(f"cannot start {sys.executable} ({exc.strerror})") from None
        finally:
            theirs.close()
        self.sock = ours
        self.lost: str | None = None
        self._last_delta: tuple[Mapping[bytes, bytes], dict[bytes, bytes],
                                list[bytes]] | None = None
        ours.settimeout(READY_TIMEOUT)
        try:
            hello = ours.recv(65536)
        except OSError as exc:
            hello = f"error no answer ({exc})".encode()
        ours.settimeout(None)
        if hello != b"ready":
            self.close()
            raise SpawnerUnavailable(hello.removeprefix(b"error ").decode("utf-8", "replace")
                                     or "it ended at start")

    def alive(self) -> bool:
        """Whether steps can still be started through this spawner (by this process)."""
        return self.lost is None and self.owner == os.getpid() and self.process.poll() is None

    def spawn(self, argv: Sequence[str], cwd: Path, env: Mapping[bytes, bytes],
              mounts: Sequence[tuple[str, str]], where: str) -> SpawnedProcess:
        """`launch`, then wait until the step has started; raises ConfigError when it
        cannot start."""
        proc = self.launch(argv, cwd, env, mounts, where)
        proc.started()
        return proc

    def launch(self, argv: Sequence[str], cwd: Path, env: Mapping[bytes, bytes],
               mounts: Sequence[tuple[str, str]], where: str,
               overrides: Mapping[bytes, bytes] | None = None) -> SpawnedProcess:
        """Ask for one step with stdout and stderr as pipes and return at once: the caller
        reads the output while the spawner starts it (waiting for the pid first would add a
        round trip between two busy processes to every step). A step that cannot start
        closes its pipes, and `SpawnedProcess.started` says why. The step's environment is
        `env` with `overrides` set: a run passes its own environment, the same every step,
        and only the step's variables as overrides, so only those are compared per step."""
        changed, unset = self._delta(env)
        if overrides:
            own = self.environment
            changed = {**changed, **{k: v for k, v in overrides.items() if own.get(k) != v}}
            unset = [k for k in unset if k not in overrides]
        request = encode(argv, cwd, mounts, changed, unset, where)
        out_read, out_write = os.pipe()
        err_read, err_write = os.pipe()
        # Non-blocking (both ends: the spawner's writes are a few bytes into an empty pipe).
        status_read, status_write = os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK)
        try:
            if self.lost is not None:
                raise ConfigError(self._lost_message(where))
            try:
                socket.send_fds(self.sock, [request], [out_write, err_write, status_write])
            except OSError:
                raise ConfigError(self._lost_message(where)) from None
        except BaseException:
            for fd in (out_read, err_read, status_read):
                os.close(fd)
            raise
        finally:
            for fd in (out_write, err_write, status_write):
                os.close(fd)
        return SpawnedProcess(os.fdopen(out_read, "rb", 0), os.fdopen(err_read, "rb", 0),
                              status_read, self, argv[0], where)

    def _delta(self, env: Mapping[bytes, bytes]) -> tuple[dict[bytes, bytes], list[bytes]]:
        """`env` against the spawner's environment: (changed, unset); kept for the last
        mapping asked about, which is a run's environment for each of its steps."""
        last = self._last_delta
        if last is not None and last[0] is env:
            return last[1], last[2]
        own = self.environment
        changed = {k: v for k, v in env.items() if own.get(k) != v}
        unset = [k for k in own if k not in env]
        self._last_delta = (env, changed, unset)
        return changed, unset

    def _lost_message(self, where: str) -> str:
        if self.lost is None:
            try:
                code: int | None = self.process.wait(timeout=1.0)
            except subprocess.TimeoutExpired:
                code = None
            self.lost = ("it ended" if code is None else f"killed by signal {-code}"
                         if code < 0 else f"it ended with exit status {code}")
        return (f"{where}: the step spawner stopped ({self.lost}), so the step's outcome is "
                "unknown; run the workflow again (LEGATO_SCRATCH_ISOLATION=rewrite avoids "
                "the spawner).")

    def close(self) -> None:
        """Stop the spawner: it exits when its socket closes."""
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def encode(argv: Sequence[str], cwd: Path, mounts: Sequence[tuple[str, str]],
           changed: Mapping[bytes, bytes], unset: Sequence[bytes], where: str) -> bytes:
    """A request as NUL-separated fields (`_spawner_main.decode` reads it); the environment
    as its changes against the spawner's own."""
    fields = [str(len(argv)).encode(), *map(_fsencode, argv), _fsencode(str(cwd)),
              str(len(mounts)).encode(), *(_fsencode(p) for pair in mounts for p in pair),
              str(len(changed)).encode(), *(part for pair in changed.items() for part in pair),
              str(len(unset)).encode(), *unset]
    request = b"\0".join(fields)
    if request.count(b"\0") != len(fields) - 1:  # a field holds one
        raise ConfigError(f"{where}: an argument or environment value holds a NUL byte, which "
                          "no program can receive; remove it from the manifest.")
    return request


def _fsencode(text: str) -> bytes:
    # os.fsencode, minus its checks (a Python function call per field and step).
    return text.encode(_FS_ENCODING, _FS_ERRORS)


_FS_ENCODING, _FS_ERRORS = sys.getfilesystemencoding(), sys.getfilesystemencodeerrors()


class SpawnedProcess:
    """A step asked of the spawner, shaped like the parts of `subprocess.Popen` used. Its
    status pipe brings `pid N` (or `error TEXT`), then `exit N`; it closes without an exit
    when the spawner stopped."""

    def __init__(self, stdout: IO[bytes], stderr: IO[bytes], status: int, spawner: Spawner,
                 program: str, where: str) -> None:
        self.stdout: IO[bytes] | None = stdout
        self.stderr: IO[bytes] | None = stderr
        self.returncode: int | None = None
        self.lost = False  # the spawner ended before it could report this step's exit
        self.start_error: str | None = None  # why the program could not start
        self._pid: int | None = None
        self._status: int | None = status
        self._received = b""
        self._ended = False  # the status pipe's end was read
        self._spawner, self._program, self._where = spawner, program, where

    @property
    def pid(self) -> int:
        """The step's pid (also its process group), once the spawner has reported it."""
        while self._pid is None and self._status is not None:
            self._read(None)
        if self._pid is None:
            raise ProcessLookupError(f"{self._where} has no process")
        return self._pid

    def started(self) -> None:
        """Wait until the step runs; raise ConfigError (closing its pipes) when it cannot."""
        while self._pid is None and self._status is not None:
            self._read(None)
        if self._pid is None:
            for stream in (self.stdout, self.stderr):
                if stream is not None:
                    stream.close()
            raise ConfigError(self.failure())

    def failure(self) -> str:
        """Why the step has no outcome: it could not start, or the spawner stopped."""
        if self.start_error is not None:
            return (f"{self._where}: cannot start {self._program!r} ({self.start_error}); "
                    "check the command or the image map.")
        return self._spawner._lost_message(self._where)

    def status_fileno(self) -> int | None:
        """The status pipe (non-blocking), until it is closed."""
        return self._status

    def known_pid(self) -> int | None:
        """The pid if the status pipe has brought it already."""
        return self._pid

    def read_status(self) -> None:
        """Take what the status pipe holds now, without waiting."""
        if self._status is None:
            return
        while True:
            try:
                chunk = os.read(self._status, 4096)
            except BlockingIOError:
                break
            if not chunk:
                self._ended = True
                break
            self._received += chunk
            if b"exit " in self._received:  # the last thing sent, in one write
                break
        while b"\n" in self._received:
            line, self._received = self._received.split(b"\n", 1)
            if line.startswith(b"pid "):
                self._pid = int(line[4:])
            elif line.startswith(b"exit "):
                self.returncode = int(line[5:])

    def close_status(self) -> None:
        """Close the status pipe once its exit or its end has been read: an end with no
        exit means the program could not start, or the spawner stopped (then nothing can
        report or stop the step any more, so it is killed)."""
        if self._status is None:
            return
        os.close(self._status)
        self._status = None
        if self.returncode is not None:
            return
        if self._received.startswith(b"error "):
            self.start_error = self._received[6:].decode("utf-8", "replace")
            self.returncode = 127
            return
        self.lost = True
        self.returncode = -1
        if self._pid is not None:
            try:
                os.killpg(self._pid, signal.SIGKILL)
            except OSError:
                pass

    def _read(self, timeout: float | None) -> None:
        """Take what the status pipe holds, waiting up to `timeout` (None: until it has
        something) for more."""
        assert self._status is not None
        watch = select.poll()
        watch.register(self._status, select.POLLIN)
        if not watch.poll(None if timeout is None else timeout * 1000):
            return
        self.read_status()
        if self._ended or self.returncode is not None:
            self.close_status()

    def poll(self) -> int | None:
        if self.returncode is None and self._status is not None:
            self._read(0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise subprocess.TimeoutExpired(self._program, timeout or 0.0)
            self._read(left)
        assert self.returncode is not None
        return self.returncode
