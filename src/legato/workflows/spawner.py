"""The run's step spawner (namespace isolation): one small process per workflow run, started
before steps run, that forks each step into its own mount namespace (`_spawner_main`). The run
process never forks itself for a step; it sends a request and gets the pid and exit back."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from legato.errors import ConfigError

PROGRAM = Path(__file__).with_name("_spawner_main.py")
READY_TIMEOUT = 10.0


class SpawnerUnavailable(Exception):
    """The spawner could not be started here; the message says why."""


class _Pending:
    def __init__(self) -> None:
        self.started = threading.Event()
        self.ended = threading.Event()
        self.pid: int | None = None
        self.error: str | None = None
        self.exit: int | None = None


class Spawner:
    """The run process's end of the spawner: `spawn` from any thread, `close` at run end."""

    def __init__(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 22)
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-I", "-S", str(PROGRAM), str(theirs.fileno())],
                pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL)
        except OSError as exc:
            ours.close()
            raise SpawnerUnavailable(f"cannot start {sys.executable} ({exc.strerror})") from None
        finally:
            theirs.close()
        self.sock = ours
        self.lock = threading.Lock()
        self.pending: dict[int, _Pending] = {}
        self.next_id = 0
        self.lost: str | None = None
        ours.settimeout(READY_TIMEOUT)
        try:
            hello = json.loads(ours.recv(65536) or b"{}")
        except (OSError, ValueError) as exc:
            hello = {"error": f"no answer ({exc})"}
        ours.settimeout(None)
        if not hello.get("ready"):
            self.close()
            raise SpawnerUnavailable(str(hello.get("error") or "it ended at start"))
        self.reader = threading.Thread(target=self._read, name="legato-step-spawner",
                                       daemon=True)
        self.reader.start()

    def spawn(self, argv: Sequence[str], cwd: Path, env: Mapping[bytes, bytes],
              mounts: Sequence[tuple[str, str]], where: str) -> SpawnedProcess:
        """Start one step with stdout and stderr as pipes; raises ConfigError when it cannot."""
        out_read, out_write = os.pipe()
        err_read, err_write = os.pipe()
        pending = _Pending()
        with self.lock:
            ident, self.next_id = self.next_id, self.next_id + 1
            if self.lost is None:
                self.pending[ident] = pending
        request = {"id": ident, "argv": list(argv), "cwd": str(cwd), "mounts": list(mounts),
                   "env": [(os.fsdecode(k), os.fsdecode(v)) for k, v in env.items()]}
        try:
            if self.lost is not None:
                raise ConfigError(self._lost_message(where))
            try:
                socket.send_fds(self.sock, [json.dumps(request).encode()],
                                [out_write, err_write])
            except OSError:
                pending.started.wait(READY_TIMEOUT)  # the reader notes how it ended
                raise ConfigError(self._lost_message(where)) from None
        except BaseException:
            for fd in (out_read, err_read):
                os.close(fd)
            raise
        finally:
            os.close(out_write)
            os.close(err_write)
        pending.started.wait()
        if pending.pid is None:
            for fd in (out_read, err_read):
                os.close(fd)
            if pending.error is not None:
                raise ConfigError(f"{where}: cannot start {argv[0]!r} ({pending.error}); check "
                                  "the command or the image map.")
            raise ConfigError(self._lost_message(where))
        return SpawnedProcess(pending, os.fdopen(out_read, "rb", 0), os.fdopen(err_read, "rb", 0),
                              self)

    def _lost_message(self, where: str) -> str:
        return (f"{where}: the step spawner stopped ({self.lost}), so the step's outcome is "
                "unknown; run the workflow again (LEGATO_SCRATCH_ISOLATION=rewrite avoids "
                "the spawner).")

    def _read(self) -> None:
        """Deliver replies to the waiting steps; when the spawner ends, fail them all."""
        try:
            while message := self.sock.recv(65536):
                reply: dict[str, Any] = json.loads(message)
                with self.lock:
                    pending = self.pending.get(reply["id"])
                    if pending is not None and "exit" in reply:
                        del self.pending[reply["id"]]
                if pending is None:
                    continue
                if "pid" in reply:
                    pending.pid = reply["pid"]
                    pending.started.set()
                elif "error" in reply:
                    with self.lock:
                        self.pending.pop(reply["id"], None)
                    pending.error = str(reply["error"])
                    pending.started.set()
                    pending.ended.set()
                else:
                    pending.exit = int(reply["exit"])
                    pending.ended.set()
        except (OSError, ValueError):
            pass
        code = self.process.poll()
        if code is None:
            try:
                code = self.process.wait(timeout=1.0)
            except subprocess.TimeoutExpired:
                code = None
        with self.lock:
            self.lost = ("it ended" if code is None else f"killed by signal {-code}" if code < 0
                         else f"it ended with exit status {code}")
            stranded, self.pending = list(self.pending.values()), {}
        for pending in stranded:
            pending.started.set()
            pending.ended.set()

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


class SpawnedProcess:
    """A step started by the spawner, shaped like the parts of `subprocess.Popen` used."""

    def __init__(self, pending: _Pending, stdout: IO[bytes], stderr: IO[bytes],
                 spawner: Spawner) -> None:
        assert pending.pid is not None
        self.pid = pending.pid
        self._pending = pending
        self._spawner = spawner
        self.stdout: IO[bytes] | None = stdout
        self.stderr: IO[bytes] | None = stderr
        self.returncode: int | None = None

    @property
    def lost(self) -> bool:
        """Whether the spawner ended before it could report this step's exit."""
        return self._pending.ended.is_set() and self._pending.exit is None

    def poll(self) -> int | None:
        if self._pending.ended.is_set():
            self.returncode = -1 if self._pending.exit is None else self._pending.exit
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if not self._pending.ended.wait(timeout):
            raise subprocess.TimeoutExpired(str(self.pid), timeout or 0.0)
        code = self.poll()
        assert code is not None
        return code

    def lost_message(self, where: str) -> str:
        return self._spawner._lost_message(where)
