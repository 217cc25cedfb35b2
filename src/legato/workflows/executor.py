"""Runs one container or script step as a local subprocess: argv from the image→command map,
paths moved into the step's scratch tree, output lines sent to the step's log, stdout kept
as `outputs.result`. Parameters reach the program only as argv and environment values."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Protocol

from legato.errors import ConfigError
from legato.workflows.images import Toolbox
from legato.workflows.isolation import wrap
from legato.workflows.scratch import Scratch
from legato.workflows.spawner import SpawnedProcess, Spawner

MAX_RESULT_BYTES = 256 * 1024  # Argo's limit on outputs.result
LogLine = Callable[[str, bool], None]  # (line, from stderr)


class StepProcess(Protocol):
    """What `_communicate` needs of a running step: a `subprocess.Popen` or a process the
    step spawner started (`spawner.SpawnedProcess`)."""

    stdout: IO[bytes] | None
    stderr: IO[bytes] | None

    @property
    def pid(self) -> int: ...

    @property
    def returncode(self) -> int | None: ...

    def poll(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int: ...


@dataclass(frozen=True)
class ProcessSpec:
    """A step's program after substitution, still written against the container."""

    image: str
    command: Sequence[str] = ()
    args: Sequence[str] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    working_dir: str | None = None
    source: str | None = None  # set for script templates
    where: str = ""


@dataclass(frozen=True)
class ProcessResult:
    exit_code: int
    stdout: str
    timed_out: bool = False
    cancelled: bool = False


def build_argv(spec: ProcessSpec, toolbox: Toolbox, scratch: Scratch) -> list[str]:
    """The local argv: the command's first word resolved by the toolbox, every word's
    container paths rewritten, and for a script the source file appended."""
    command = [scratch.rewrite(c) for c in spec.command]
    args = [scratch.rewrite(a) for a in spec.args]
    if spec.source is not None:
        script = f"{scratch.root}/script"
        scratch.files.add("script")
        fd = os.open(script, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666)
        try:
            data = memoryview(scratch.rewrite(spec.source).encode("utf-8"))
            while data:
                data = data[os.write(fd, data):]
        finally:
            os.close(fd)
        words = command or toolbox.default_command()
        return toolbox.resolve([*words, script, *args], spec.image)
    words = [*command, *args] if command else [*toolbox.default_command(), *args]
    if not words:
        raise ConfigError(f"{spec.where}: the container has no command or args; give it a "
                          "command to run.")
    return toolbox.resolve(words, spec.image)


def step_variables(spec: ProcessSpec, scratch: Scratch) -> dict[bytes, bytes]:
    """What a step sets over the run's environment: TMPDIR and the manifest's `env`."""
    env = {b"TMPDIR": os.fsencode("/tmp" if "/tmp" in scratch.mounted else str(scratch.root))}
    for name, value in spec.env.items():
        env[os.fsencode(name)] = os.fsencode(scratch.rewrite(value))
    return env


def run_process(spec: ProcessSpec, toolbox: Toolbox, scratch: Scratch, log: LogLine, *,
                timeout: float | None = None, cancel: threading.Event | None = None,
                base_env: Mapping[bytes, bytes] | None = None,
                spawner: Spawner | None = None) -> ProcessResult:
    """Run the step to its end; stdout and stderr lines go to `log` as they come. With
    mounted prefixes the run's `spawner` starts it in a mount namespace of its own (else the
    `unshare` wrapper does)."""
    argv = build_argv(spec, toolbox, scratch)
    base = os.environb if base_env is None else base_env
    variables = step_variables(spec, scratch)
    cwd = scratch.path(spec.working_dir) if spec.working_dir else scratch.root
    scratch.ensure()
    if cwd != scratch.root:
        cwd.mkdir(parents=True, exist_ok=True)
    proc: StepProcess
    if scratch.mounted and spawner is not None:
        started = spawner.launch(argv, cwd, base, scratch.mounts(), spec.where, variables)
        kept, timed_out, cancelled = _communicate(started, log, cancel, timeout)
        if started.lost or started.start_error is not None:
            raise ConfigError(started.failure())
        return _result(started, kept, timed_out, cancelled)
    if scratch.mounted:
        argv = wrap(argv, scratch.mounts())
    try:
        proc = subprocess.Popen(
            argv, cwd=cwd, env={**base, **variables}, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, start_new_session=True)
    except OSError as exc:
        raise ConfigError(f"{spec.where}: cannot start {argv[0]!r} ({exc.strerror}); check "
                          "the command or the image map.") from None
    kept, timed_out, cancelled = _communicate(proc, log, cancel, timeout)
    return _result(proc, kept, timed_out, cancelled)


def _result(proc: StepProcess, kept: list[bytes], timed_out: bool,
            cancelled: bool) -> ProcessResult:
    stdout = b"".join(kept)[:MAX_RESULT_BYTES].decode("utf-8", errors="replace")
    code = proc.returncode
    return ProcessResult(-1 if code is None else code, stdout.rstrip("\n"), timed_out,
                         cancelled)


def _communicate(proc: StepProcess, log: LogLine, cancel: threading.Event | None,
                 timeout: float | None) -> tuple[list[bytes], bool, bool]:
    """Read stdout and stderr line by line on this thread (no helper threads: a step costs
    one process, nothing more) until both close; stop the program on cancellation or at its
    deadline. Returns the kept stdout and whether it was timed out or cancelled."""
    kept: list[bytes] = []
    size = 0
    partial = {False: b"", True: b""}
    # poll(2) needs no descriptor of its own, unlike epoll: two system calls fewer per step;
    # used directly, without `selectors`' per-call bookkeeping (this runs for every step).
    watch = select.poll()
    is_err_of: dict[int, bool] = {}
    for stream, is_err in ((proc.stdout, False), (proc.stderr, True)):
        if stream is not None:
            fd = stream.fileno()
            watch.register(fd, select.POLLIN)
            is_err_of[fd] = is_err
    # A spawned step's status pipe wakes this thread only when it hangs up: the spawner
    # closes it after `exit N` (or by dying); its `pid N` is read then, or when needed.
    spawned = proc if isinstance(proc, SpawnedProcess) else None
    status = spawned.status_fileno() if spawned is not None else None
    if status is not None:
        watch.register(status, 0)
    started = time.monotonic()
    exited_at: float | None = None
    timed_out = cancelled = False
    try:
        while is_err_of or status is not None:
            if status is not None and spawned is not None and \
                    spawned.status_fileno() != status:  # read to its end by a wait
                watch.unregister(status)
                status = None
                continue
            ready = watch.poll(250)
            for fd, _ in ready:
                if fd == status and spawned is not None:
                    watch.unregister(fd)
                    status = None
                    spawned.read_status()
                    spawned.close_status()
                    continue
                is_err = is_err_of[fd]
                chunk = os.read(fd, 65536)
                if not chunk:
                    watch.unregister(fd)
                    del is_err_of[fd]
                    if partial[is_err]:
                        log(partial[is_err].decode("utf-8", errors="replace"), is_err)
                        partial[is_err] = b""
                    continue
                if not is_err and size < MAX_RESULT_BYTES:
                    kept.append(chunk)
                    size += len(chunk)
                *lines, partial[is_err] = (partial[is_err] + chunk).split(b"\n")
                for line in lines:
                    log(line.decode("utf-8", errors="replace"), is_err)
            if cancelled or timed_out:
                continue
            if cancel is not None and cancel.is_set():
                if proc.poll() is None:
                    cancelled = True
                    _kill(proc)
            elif timeout is not None and time.monotonic() - started >= timeout:
                if proc.poll() is None:
                    timed_out = True
                    _kill(proc)
            elif not ready and is_err_of and proc.poll() is not None:
                # A background child may hold the pipes open after the program ended.
                now = time.monotonic()
                exited_at = exited_at if exited_at is not None else now
                if now - exited_at > 1.0:
                    break
    finally:
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
    proc.wait()
    return kept, timed_out, cancelled


def _kill(proc: StepProcess) -> None:
    """End the step's whole process group: SIGTERM, then SIGKILL after a grace period."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=3)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        proc.wait()
