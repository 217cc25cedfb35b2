"""The event contract against the in-memory backend of `legato.testing`."""

from __future__ import annotations

from datetime import timedelta

import pytest

from legato._clock import FakeClock
from legato.core.backend import Backend
from legato.testing.memory import InMemoryBackend

from .event_contract import T0, EventContract


class TestInMemoryEvents(EventContract):
    @pytest.fixture
    def clock(self) -> FakeClock:
        return FakeClock(T0 + timedelta(hours=1))

    @pytest.fixture
    def backend(self, clock: FakeClock) -> Backend:
        return InMemoryBackend(clock)
