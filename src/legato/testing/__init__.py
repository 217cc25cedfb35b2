"""Public test helpers: an in-memory backend, a fake clock, and a context manager that
points Legato at them (or at a real SQLite file) for the duration of a test."""

from legato._clock import FakeClock
from legato.testing.harness import legato_test_harness
from legato.testing.memory import InMemoryBackend

__all__ = ["FakeClock", "InMemoryBackend", "legato_test_harness"]
