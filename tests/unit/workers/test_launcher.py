"""Choosing a launcher by name, the command line a subprocess launch uses, and the claimed
run it hands its process through a pipe."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys

import pytest

from legato.workers.execute import START_FD_OPTION, read_start
from legato.workers.handover import decode_start
from legato.workers.launcher import SubprocessLauncher, execute_argv, make_launcher
from legato.workers.warm import WarmLauncher

from .test_execute import RUN, VERSION


def test_make_launcher_returns_the_named_launcher_with_its_environment() -> None:
    warm = make_launcher("warm", {"LEGATO_API_URL": "http://127.0.0.1:1/api/v1"})
    assert isinstance(warm, WarmLauncher)
    assert warm.env == {"LEGATO_API_URL": "http://127.0.0.1:1/api/v1"}
    assert isinstance(make_launcher("subprocess"), SubprocessLauncher)


def test_make_launcher_rejects_an_unknown_kind_naming_the_choices() -> None:
    with pytest.raises(ValueError, match="choose warm or subprocess"):
        make_launcher("docker")


def test_execute_argv_passes_the_run_and_epoch_as_separate_arguments() -> None:
    assert execute_argv("0190-x; rm -rf /", 3) == [
        sys.executable, "-m", "legato.workers.execute", "0190-x; rm -rf /", "3"]


def test_execute_argv_names_the_descriptor_holding_the_claimed_run() -> None:
    assert execute_argv("r1", 2, 7)[-4:] == ["r1", "2", "--start-fd", "7"]


class _Captured:
    """Stands in for subprocess.Popen: records the command line and reads the hand-over
    from the descriptor it names, as the run's process would."""

    def __init__(self, argv: list[str], *, env: dict[str, str], shell: bool,
                 pass_fds: tuple[int, ...] = ()) -> None:
        self.argv = argv
        self.pass_fds = pass_fds
        # The process reads its own copy of the descriptor; the launcher closes the original.
        self.start = read_start(os.dup(int(argv[-1]))) if START_FD_OPTION in argv else None
        self.pid = 1


@pytest.mark.skipif(os.name != "posix", reason="descriptors are inherited only on POSIX")
def test_a_claimed_run_gets_its_record_and_version_through_an_inherited_pipe(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(subprocess, "Popen", _Captured)
    child = SubprocessLauncher().launch_claimed(RUN, 3, VERSION)
    assert isinstance(child, _Captured)
    assert child.argv[-4:-2] == [RUN.id, "3"]
    assert child.pass_fds == (int(child.argv[-1]),)
    assert child.start is not None and decode_start(child.start) == (RUN, VERSION)
    with pytest.raises(OSError):  # the launcher closed its end once the process had it
        os.fstat(child.pass_fds[0])


def test_a_hand_over_bigger_than_a_pipe_holds_leaves_the_reads_to_the_run(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(subprocess, "Popen", _Captured)
    big = dataclasses.replace(VERSION, source="x = 1\n" * 1_000_000)
    child = SubprocessLauncher().launch_claimed(RUN, 3, big)
    assert isinstance(child, _Captured)
    assert child.argv[-2:] == [RUN.id, "3"] and child.pass_fds == ()
