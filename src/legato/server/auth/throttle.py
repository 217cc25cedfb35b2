"""Slows password guessing: after too many failed sign-ins for one username or from one
address within a window, further attempts are refused (429) until the oldest failure
leaves the window. Kept in memory: a restart forgets it, scrypt still makes guesses slow."""

from __future__ import annotations

import math
import threading
from collections import deque

from legato._clock import Clock
from legato.errors import TooManyAttempts

WINDOW_SECONDS = 300.0
MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_SOURCE = 20
# Bounds memory under a flood of random usernames; the oldest keys are forgotten first.
MAX_KEYS = 10_000


class LoginThrottle:
    """Counts failed sign-ins per username and per source address, on an injected clock.

    >>> throttle = LoginThrottle(FakeClock())
    >>> throttle.check("alice", "10.0.0.1")
    """

    def __init__(
        self,
        clock: Clock,
        *,
        window: float = WINDOW_SECONDS,
        per_user: int = MAX_FAILURES_PER_USER,
        per_source: int = MAX_FAILURES_PER_SOURCE,
    ) -> None:
        self.clock = clock
        self.window = window
        self.limits = {"user": per_user, "source": per_source}
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        times = self._failures.get(key)
        if times is None:
            return deque()
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            del self._failures[key]
        return times

    def _keys(self, username: str, source: str | None) -> list[tuple[str, str]]:
        keys = [("user", username.lower())]
        if source:
            keys.append(("source", source))
        return keys

    def check(self, username: str, source: str | None) -> None:
        """Raise TooManyAttempts (with seconds to wait) if this sign-in must wait."""
        now = self.clock.monotonic()
        with self._lock:
            for key in self._keys(username, source):
                times = self._recent(key, now)
                if len(times) >= self.limits[key[0]]:
                    wait = max(1, math.ceil(times[0] + self.window - now))
                    raise TooManyAttempts(
                        f"too many failed sign-ins for this {key[0]}; wait {wait} s before "
                        "trying again.",
                        wait,
                    )

    def failed(self, username: str, source: str | None) -> None:
        """Count a failed sign-in."""
        now = self.clock.monotonic()
        with self._lock:
            if len(self._failures) >= MAX_KEYS:
                oldest = min(self._failures, key=lambda k: self._failures[k][-1])
                del self._failures[oldest]
            for key in self._keys(username, source):
                self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, username: str) -> None:
        """Forget the username's failures after a correct password."""
        with self._lock:
            self._failures.pop(("user", username.lower()), None)
