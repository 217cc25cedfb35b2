"""Fixtures for CLI tests: a fake backend installed as the runtime's default backend."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from legato.sdk import runtime

from .fakes import FakeBackend


@pytest.fixture
def backend(monkeypatch: pytest.MonkeyPatch) -> FakeBackend:
    fake = FakeBackend()
    monkeypatch.setattr(runtime, "get_backend", lambda: fake)
    return fake


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()
