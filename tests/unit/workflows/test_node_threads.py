"""The process's node threads: idle threads are reused, a node that waits for its own child
never deadlocks, and a node's exception reaches its caller."""

from __future__ import annotations

import threading

import pytest

from legato.workflows.node_threads import NodeThreads


def test_an_idle_thread_runs_the_next_node() -> None:
    pool = NodeThreads()
    first = pool.submit(threading.get_ident).result(timeout=10)
    # The first thread is alive (idle), so a new thread would have another ident.
    assert pool.submit(threading.get_ident).result(timeout=10) == first


def test_a_node_waiting_for_its_child_gets_another_thread() -> None:
    pool = NodeThreads()

    def parent() -> tuple[int, int]:
        child = pool.submit(threading.get_ident)
        return threading.get_ident(), child.result(timeout=10)

    me, child = pool.submit(parent).result(timeout=10)
    assert me != child


def test_a_nodes_exception_reaches_the_caller() -> None:
    pool = NodeThreads()

    def fails() -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        pool.submit(fails).result(timeout=10)
    assert pool.submit(lambda: 7).result(timeout=10) == 7  # the thread survived it


def test_wait_idle_returns_once_running_nodes_end() -> None:
    pool = NodeThreads()
    started, release = threading.Event(), threading.Event()

    def node() -> bool:
        started.set()
        return release.wait(10)

    future = pool.submit(node)
    assert started.wait(10)
    waiter = threading.Thread(target=pool.wait_idle)
    waiter.start()
    waiter.join(timeout=0.05)  # no timing asserted: it must still be waiting, however long
    assert waiter.is_alive() and not future.done()
    release.set()
    waiter.join(timeout=10)
    assert not waiter.is_alive() and future.result() is True
