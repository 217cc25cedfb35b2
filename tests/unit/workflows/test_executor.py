"""The local step process: argv from the image map with paths in the scratch tree, output
lines to the log, stdout as the result, deadlines and cancellation stop the process group."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from legato.workflows.executor import ProcessResult, ProcessSpec, build_argv, run_process
from legato.workflows.images import ImageMap
from legato.workflows.scratch import Scratch

PYTHON = ImageMap().toolbox("python:3.12", "test")


def _run(tmp_path: Path, spec: ProcessSpec, *, timeout: float | None = None,
         cancel: threading.Event | None = None) -> tuple[ProcessResult, list[str]]:
    lines: list[str] = []
    scratch = Scratch(tmp_path / "step")
    for text in (*spec.command, *spec.args, spec.source or ""):
        scratch.rewrite(text)
    scratch.create()
    result = run_process(spec, PYTHON, scratch, lambda line, err: lines.append(
        ("E " if err else "") + line), timeout=timeout, cancel=cancel)
    return result, lines


def test_stdout_is_the_result_and_every_line_is_logged(tmp_path: Path) -> None:
    spec = ProcessSpec(image="python", command=["python", "-c"],
                       args=["import sys; print('a'); print('b'); print('oops', file=sys.stderr)"])
    result, lines = _run(tmp_path, spec)
    assert result.exit_code == 0 and result.stdout == "a\nb"
    assert sorted(lines) == ["E oops", "a", "b"]


def test_script_source_is_written_to_a_file_and_paths_are_rewritten(tmp_path: Path) -> None:
    spec = ProcessSpec(image="python", command=["python"],
                       source="open('/tmp/out.txt', 'w').write('x')\nprint(__file__)\n")
    result, _ = _run(tmp_path, spec)
    assert result.exit_code == 0
    assert (tmp_path / "step" / "tmp" / "out.txt").read_text() == "x"
    assert result.stdout == str(tmp_path / "step" / "script")


def test_argv_uses_this_python_and_never_a_shell(tmp_path: Path) -> None:
    spec = ProcessSpec(image="python", command=["python3", "-c"], args=["print('$HOME; rm -rf /')"])
    argv = build_argv(spec, PYTHON, Scratch(tmp_path))
    assert argv == [sys.executable, "-c", "print('$HOME; rm -rf /')"]


def test_deadline_stops_the_process(tmp_path: Path) -> None:
    spec = ProcessSpec(image="python", command=["python", "-c"],
                       args=["import time; print('started', flush=True); time.sleep(60)"])
    result, lines = _run(tmp_path, spec, timeout=0.5)
    assert result.timed_out and result.exit_code != 0
    assert lines == ["started"]


def test_cancellation_stops_the_process(tmp_path: Path) -> None:
    cancel = threading.Event()
    cancel.set()
    spec = ProcessSpec(image="python", command=["python", "-c"],
                       args=["import time; time.sleep(60)"])
    result, _ = _run(tmp_path, spec, cancel=cancel)
    assert result.cancelled and result.exit_code != 0


def test_env_values_are_given_to_the_program_with_paths_rewritten(tmp_path: Path) -> None:
    spec = ProcessSpec(image="python", command=["python", "-c"],
                       args=["import os; print(os.environ['OUT'], os.environ['TMPDIR'])"],
                       env={"OUT": "/mnt/result"})
    result, _ = _run(tmp_path, spec)
    root = tmp_path / "step"
    assert result.stdout == f"{root}/mnt/result {root}"
