"""SDK tests run flows against an in-memory backend and a fake clock (retry delays are
instant and recorded in `clock.sleeps`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from legato.testing import FakeClock, InMemoryBackend, legato_test_harness


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def backend(clock: FakeClock) -> Iterator[InMemoryBackend]:
    memory = InMemoryBackend(clock)
    with legato_test_harness(memory, clock=clock):
        yield memory
