"""Public futures API: `from legato.futures import wait, as_completed`."""

from legato.engine.futures import DoneAndNotDone, LegatoFuture, LegatoFutureList, as_completed, wait

__all__ = ["DoneAndNotDone", "LegatoFuture", "LegatoFutureList", "as_completed", "wait"]
