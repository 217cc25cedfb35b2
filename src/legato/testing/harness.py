"""`legato_test_harness()`: point flows at an in-memory backend (or a given one), a
temporary result store and optionally a fake clock, then restore the previous setup."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from legato._clock import Clock
from legato.core.backend import Backend
from legato.engine.results import ResultStore, ResultWriter
from legato.sdk import runtime
from legato.settings import DEFAULT_INLINE_RESULT_LIMIT
from legato.testing.memory import InMemoryBackend


@contextmanager
def legato_test_harness(backend: Backend | None = None, *, clock: Clock | None = None,
                        inline_result_limit: int = DEFAULT_INLINE_RESULT_LIMIT,
                        ) -> Iterator[Backend]:
    """Run the body with flows writing to `backend` (default: a new InMemoryBackend).

    >>> with legato_test_harness() as backend:
    ...     pass
    """
    backend = backend or InMemoryBackend()
    with tempfile.TemporaryDirectory(prefix="legato-results-") as results_dir:
        runtime.set_backend(backend)
        runtime.set_results(ResultWriter(ResultStore(results_dir), inline_result_limit))
        runtime.set_clock(clock)
        try:
            yield backend
        finally:
            runtime.set_backend(None)
            runtime.set_results(None)
            runtime.set_clock(None)
