"""Run names: "adjective-animal", varied."""

from __future__ import annotations

import re

from legato.core.names import run_name


def test_run_name_is_adjective_dash_animal() -> None:
    for _ in range(200):
        assert re.fullmatch(r"[a-z]+-[a-z]+", run_name())


def test_run_names_vary() -> None:
    assert len({run_name() for _ in range(200)}) > 50
