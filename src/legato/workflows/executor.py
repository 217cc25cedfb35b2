"""Runs one container or script step as a local subprocess: argv from the image→command map,
paths moved into the step's scratch tree, output lines sent to the step's log, stdout kept
as `outputs.result`. Parameters reach the program only as argv and environment values."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO

from legato.errors import ConfigError
from legato.workflows.images import Toolbox
from legato.workflows.scratch import Scratch

MAX_RESULT_BYTES = 256 * 1024  # Argo's limit on outputs.result
LogLine = Callable[[str, bool], None]  # (line, from stderr)


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
        script = scratch.root / "argo" / "staging" / "script"
        script.parent.mkdir(parents=True, exist_ok=True)
        script.write_text(scratch.rewrite(spec.source), encoding="utf-8")
        words = command or toolbox.default_command()
        return toolbox.resolve([*words, str(script), *args], spec.image)
    words = [*command, *args] if command else [*toolbox.default_command(), *args]
    if not words:
        raise ConfigError(f"{spec.where}: the container has no command or args; give it a "
                          "command to run.")
    return toolbox.resolve(words, spec.image)


def build_env(spec: ProcessSpec, scratch: Scratch, base: Mapping[str, str]) -> dict[str, str]:
    env = dict(base)
    env["TMPDIR"] = str(scratch.root / "tmp")
    for name, value in spec.env.items():
        env[name] = scratch.rewrite(value)
    return env


def run_process(spec: ProcessSpec, toolbox: Toolbox, scratch: Scratch, log: LogLine, *,
                timeout: float | None = None, cancel: threading.Event | None = None,
                base_env: Mapping[str, str] | None = None) -> ProcessResult:
    """Run the step to its end; stdout and stderr lines go to `log` as they come."""
    argv = build_argv(spec, toolbox, scratch)
    env = build_env(spec, scratch, os.environ if base_env is None else base_env)
    cwd = scratch.path(spec.working_dir) if spec.working_dir else scratch.root / "workdir"
    cwd.mkdir(parents=True, exist_ok=True)
    try:
        proc = subprocess.Popen(
            argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, start_new_session=True)
    except OSError as exc:
        raise ConfigError(f"{spec.where}: cannot start {argv[0]!r} ({exc.strerror}); check "
                          "the command or the image map.") from None
    kept: list[bytes] = []
    readers = [
        threading.Thread(target=_pump, args=(proc.stdout, log, False, kept), daemon=True),
        threading.Thread(target=_pump, args=(proc.stderr, log, True, None), daemon=True),
    ]
    for reader in readers:
        reader.start()
    timed_out = cancelled = False
    waited = 0.0
    # Wake up a few times a second to honour cancellation; the deadline bounds the total.
    while True:
        step = 0.25 if timeout is None else max(0.0, min(0.25, timeout - waited))
        try:
            proc.wait(timeout=step)
            break
        except subprocess.TimeoutExpired:
            waited += step
        if cancel is not None and cancel.is_set():
            cancelled = True
        elif timeout is not None and waited >= timeout:
            timed_out = True
        else:
            continue
        _kill(proc)
        break
    for reader in readers:
        reader.join()
    stdout = b"".join(kept)[:MAX_RESULT_BYTES].decode("utf-8", errors="replace")
    return ProcessResult(proc.returncode, stdout.rstrip("\n"), timed_out, cancelled)


def _pump(stream: IO[bytes] | None, log: LogLine, is_err: bool, kept: list[bytes] | None) -> None:
    if stream is None:
        return
    size = 0
    with stream:
        for raw in stream:
            if kept is not None and size < MAX_RESULT_BYTES:
                kept.append(raw)
                size += len(raw)
            log(raw.decode("utf-8", errors="replace").rstrip("\n"), is_err)


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """End the step's whole process group: SIGTERM, then SIGKILL after a grace period."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=3)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        proc.wait()
