"""Remembers the outcome of recent write batches by their Idempotency-Key, so a client that
retries a batch whose response it lost gets the first outcome instead of a second write."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from legato.errors import LegatoError, ParameterError, StateTransitionError

DEFAULT_CAPACITY = 10_000
# Outcomes worth replaying: they are what a second attempt would get too. Anything else
# (BackendUnavailable, a bug) is forgotten so the retry runs again.
_DETERMINISTIC = (StateTransitionError, ParameterError)


class IdempotencyCache:
    """A bounded, thread-safe map of key -> outcome (None for success, or the error).

    >>> cache = IdempotencyCache()
    >>> cache.run("batch-1", write)  # writes
    >>> cache.run("batch-1", write)  # does not write again
    """

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self.capacity = capacity
        self._done: OrderedDict[str, LegatoError | None] = OrderedDict()
        self._running: dict[str, threading.Event] = {}
        self._lock = threading.Lock()

    def run(self, key: str, action: Callable[[], None]) -> None:
        """Run `action` once per key; repeats replay the first outcome. A repeat that
        arrives while the first is still running waits for it."""
        while True:
            with self._lock:
                if key in self._done:
                    self._done.move_to_end(key)
                    outcome = self._done[key]
                    if outcome is not None:
                        raise outcome
                    return
                waiting = self._running.get(key)
                if waiting is None:
                    done = self._running[key] = threading.Event()
                    break
            waiting.wait()
        try:
            action()
            self._record(key, None)
        except _DETERMINISTIC as error:
            self._record(key, error)
            raise
        finally:
            with self._lock:
                del self._running[key]
            done.set()

    def _record(self, key: str, outcome: LegatoError | None) -> None:
        with self._lock:
            self._done[key] = outcome
            while len(self._done) > self.capacity:
                self._done.popitem(last=False)
