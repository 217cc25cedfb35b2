"""Choosing a launcher by name, and the command line a subprocess launch uses."""

from __future__ import annotations

import sys

import pytest

from legato.workers.launcher import SubprocessLauncher, execute_argv, make_launcher
from legato.workers.warm import WarmLauncher


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
