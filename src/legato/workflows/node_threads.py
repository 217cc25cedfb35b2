"""Threads for the nodes of YAML workflow runs, shared by every run of the process: a run
takes idle threads that earlier runs left instead of starting its own, and a thread that
has been idle for a while ends."""

from __future__ import annotations

import atexit
import itertools
import os
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")
# Long enough that the runs of a busy worker or a benchmark keep their threads, short
# enough that a wide run's hundreds of threads do not outlive it by much.
IDLE_SECONDS = 30.0


class NodeThreads:
    """An unbounded pool (a parent node waits for its children on its own thread, so a
    bound could deadlock) whose threads are started only when none is idle. Starting a
    thread waits until it has run, which with twenty busy threads means waiting for the
    interpreter lock: a 20-wide run paid that twenty times before its last chain began."""

    def __init__(self) -> None:
        self._work: queue.SimpleQueue[tuple[Future[Any], Callable[[], Any]]] = \
            queue.SimpleQueue()
        # One token per idle thread; `submit` takes one or starts a thread.
        self._idle = threading.Semaphore(0)
        self._names = itertools.count()
        self._busy = 0  # nodes running now, which the interpreter's exit waits for
        self._quiet = threading.Condition()

    def submit(self, call: Callable[[], T]) -> Future[T]:
        future: Future[T] = Future()
        self._work.put((future, call))
        if not self._idle.acquire(blocking=False):
            threading.Thread(target=self._serve, name=f"legato-yaml_{next(self._names)}",
                             daemon=True).start()
        return future

    def _serve(self) -> None:
        while True:
            try:
                future, call = self._work.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                if self._idle.acquire(blocking=False):  # no submit is counting on us
                    return
                continue
            with self._quiet:
                self._busy += 1
            try:
                if future.set_running_or_notify_cancel():
                    try:
                        result = call()
                    except BaseException as exc:  # as ThreadPoolExecutor: the caller sees it
                        future.set_exception(exc)
                    else:
                        future.set_result(result)
            finally:
                with self._quiet:
                    self._busy -= 1
                    self._quiet.notify_all()
            del future, call  # drop the node's references while idle
            self._idle.release()

    def wait_idle(self) -> None:
        """Until no node runs (the threads are daemons so that idle ones never hold up
        the interpreter's exit, but running nodes finish first, as they did on
        ThreadPoolExecutor's threads)."""
        with self._quiet:
            self._quiet.wait_for(lambda: self._busy == 0)


_shared = NodeThreads()


def shared_threads() -> NodeThreads:
    """The process's node threads."""
    return _shared


def _after_fork() -> None:
    global _shared
    _shared = NodeThreads()  # the parent's threads do not exist in a forked child


os.register_at_fork(after_in_child=_after_fork)


@atexit.register
def _finish_running_nodes() -> None:
    _shared.wait_idle()
