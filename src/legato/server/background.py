"""The loops `legato server` runs beside the API (scheduler, monitor, a local worker), each in
a daemon thread that stops when the server shuts down."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from types import TracebackType

_log = logging.getLogger("legato.server")
JOIN_SECONDS = 10.0

Loop = Callable[[threading.Event], None]


class BackgroundLoops:
    """Named loops sharing one stop event; `with loops:` starts them and stops them on exit.

    >>> loops = BackgroundLoops()
    >>> loops.add("scheduler", lambda stop: scheduler.run(stop, interval_seconds=5))
    >>> with loops:
    ...     serve_forever()
    """

    def __init__(self) -> None:
        self.stop = threading.Event()
        self._loops: list[tuple[str, Loop]] = []
        self._threads: list[threading.Thread] = []
        self._join_seconds: dict[str, float] = {}

    def add(self, name: str, loop: Loop, *, join_seconds: float = JOIN_SECONDS) -> None:
        """Register `loop(stop)`, which must return within `join_seconds` of `stop` being set."""
        self._loops.append((name, loop))
        self._join_seconds[f"legato-{name}"] = join_seconds

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self._loops]

    def start(self) -> None:
        for name, loop in self._loops:
            thread = threading.Thread(
                target=self._guard, args=(name, loop), name=f"legato-{name}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def _guard(self, name: str, loop: Loop) -> None:
        try:
            loop(self.stop)
        except Exception:  # Promise 6: a failing loop is logged; the API keeps serving
            _log.exception("background loop %r stopped with an error", name)

    def close(self, timeout: float | None = None) -> None:
        """Set the stop event and wait for every loop to return (each up to its own
        `join_seconds` unless `timeout` is given)."""
        self.stop.set()
        for thread in self._threads:
            seconds = self._join_seconds.get(thread.name, JOIN_SECONDS) if timeout is None else timeout
            thread.join(seconds)
            if thread.is_alive():
                _log.warning("background loop %r did not stop within %s s", thread.name, seconds)
        self._threads.clear()

    def __enter__(self) -> BackgroundLoops:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
