"""The secrets-and-variables contract against the in-memory backend of `legato.testing`."""

from __future__ import annotations

import pytest

from legato._clock import FakeClock
from legato.core.backend import Backend
from legato.testing.memory import InMemoryBackend

from .event_contract import T0
from .vault_contract import VaultContract


class TestInMemoryVault(VaultContract):
    @pytest.fixture
    def clock(self) -> FakeClock:
        return FakeClock(T0)

    @pytest.fixture
    def backend(self, clock: FakeClock) -> Backend:
        return InMemoryBackend(clock)
