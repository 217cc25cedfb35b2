"""The loops `legato server` runs beside the API (the scheduler now; the monitor and a local
worker later), each in a daemon thread that stops when the server shuts down."""

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

    def add(self, name: str, loop: Loop) -> None:
        """Register `loop(stop)`, which must return soon after `stop` is set."""
        self._loops.append((name, loop))

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

    def close(self, timeout: float = JOIN_SECONDS) -> None:
        """Set the stop event and wait for every loop to return."""
        self.stop.set()
        for thread in self._threads:
            thread.join(timeout)
            if thread.is_alive():
                _log.warning("background loop %r did not stop within %s s", thread.name, timeout)
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
