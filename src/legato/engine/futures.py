"""Futures returned by `.submit()` and `.map()`, and `wait()` over many of them.

One module-wide lock guards every future's fields: it is held for a few instructions only,
and avoids a lock and an Event per task on the hot path."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any, Generic, NamedTuple, TypeVar

from legato.engine.states import State

R = TypeVar("R")
_lock = threading.Lock()


class LegatoFuture(Generic[R]):
    """The eventual state and result of a task run."""

    __slots__ = ("__weakref__", "_callbacks", "_handled", "_state", "_waiter", "task_key",
                 "task_run_id")

    def __init__(self, task_run_id: str, task_key: str) -> None:
        self.task_run_id = task_run_id
        self.task_key = task_key
        self._state: State | None = None
        self._callbacks: list[Callable[[LegatoFuture[Any]], None]] | None = None
        self._waiter: threading.Event | None = None
        self._handled = False

    def done(self) -> bool:
        return self._state is not None

    def wait(self, timeout: float | None = None) -> None:
        """Block until the task run is final, or `timeout` seconds pass."""
        with _lock:
            if self._state is not None:
                return
            if self._waiter is None:
                self._waiter = threading.Event()
            waiter = self._waiter
        waiter.wait(timeout)

    @property
    def state(self) -> State:
        """The current state; reading a failed state counts as handling the failure."""
        state = self._state
        if state is None:
            from legato.core.states import StateType

            return State(StateType.PENDING, task_run_id=self.task_run_id)
        self._handled = True
        return state

    def result(self, timeout: float | None = None, raise_on_failure: bool = True) -> R:
        """Wait for the task run and return its result, or raise its exception."""
        self.wait(timeout)
        state = self._state
        if state is None:
            raise TimeoutError(
                f"task run {self.task_key} did not finish within {timeout} s; wait longer."
            )
        self._handled = True
        value: R = state.result(raise_on_failure=raise_on_failure)
        return value

    def add_done_callback(self, fn: Callable[[LegatoFuture[Any]], None]) -> None:
        """Call `fn(self)` once the future is final (at once if it already is)."""
        with _lock:
            if self._state is None:
                if self._callbacks is None:
                    self._callbacks = [fn]
                else:
                    self._callbacks.append(fn)
                return
        fn(self)

    def _set_state(self, state: State) -> None:
        with _lock:
            self._state = state
            callbacks, self._callbacks = self._callbacks, None
            waiter = self._waiter
        if waiter is not None:
            waiter.set()
        if callbacks:
            for fn in callbacks:
                fn(self)

    def __repr__(self) -> str:
        state = self._state.type.value if self._state else "PENDING"
        return f"LegatoFuture({self.task_key}, {state})"


class LegatoFutureList(list[LegatoFuture[R]]):
    """What `.map()` returns: a list of futures with `wait()` and `result()` over all."""

    def wait(self, timeout: float | None = None) -> None:
        wait(self, timeout=timeout)

    def result(self, timeout: float | None = None, raise_on_failure: bool = True) -> list[R]:
        return [f.result(timeout, raise_on_failure) for f in self]


class DoneAndNotDone(NamedTuple):
    done: set[LegatoFuture[Any]]
    not_done: set[LegatoFuture[Any]]


def wait(futures: Iterable[LegatoFuture[Any]], timeout: float | None = None) -> DoneAndNotDone:
    """Wait until all futures are final or `timeout` seconds pass.

    >>> done, not_done = wait([])
    """
    futures = list(futures)
    pending = [f for f in futures if f._state is None]
    if pending:
        remaining = [len(pending)]
        all_done = threading.Event()

        def _one_done(_: LegatoFuture[Any]) -> None:
            with _count_lock:
                remaining[0] -= 1
                if remaining[0] == 0:
                    all_done.set()

        for f in pending:
            f.add_done_callback(_one_done)
        all_done.wait(timeout)
    done = {f for f in futures if f._state is not None}
    return DoneAndNotDone(done, {f for f in futures if f._state is None})


_count_lock = threading.Lock()


def as_completed(
    futures: Iterable[LegatoFuture[R]], timeout: float | None = None
) -> Iterable[LegatoFuture[R]]:
    """Yield futures as they finish."""
    import queue

    futures = list(futures)
    finished: queue.SimpleQueue[LegatoFuture[R]] = queue.SimpleQueue()
    for f in futures:
        f.add_done_callback(finished.put)
    for _ in futures:
        try:
            yield finished.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"futures did not finish within {timeout} s") from None
