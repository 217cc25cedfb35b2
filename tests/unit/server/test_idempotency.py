"""The idempotency cache replays a key's first outcome, forgets outcomes worth retrying,
makes a concurrent repeat wait for the first attempt, and stays bounded."""

from __future__ import annotations

import threading

import pytest

from legato.errors import BackendUnavailable, StateTransitionError
from legato.server.idempotency import IdempotencyCache


def test_success_is_replayed_without_running_again() -> None:
    cache, calls = IdempotencyCache(), []
    cache.run("k", lambda: calls.append(1))
    cache.run("k", lambda: calls.append(2))
    assert calls == [1]


def test_a_refusal_is_replayed_as_the_same_error() -> None:
    cache = IdempotencyCache()
    refusal = StateTransitionError("task run t is COMPLETED and cannot become RUNNING.")

    def refuse() -> None:
        raise refusal

    with pytest.raises(StateTransitionError):
        cache.run("k", refuse)
    with pytest.raises(StateTransitionError) as again:
        cache.run("k", lambda: None)
    assert again.value is refusal


def test_unavailable_backend_is_forgotten_so_the_retry_runs() -> None:
    cache, calls = IdempotencyCache(), []

    def down() -> None:
        raise BackendUnavailable("database is down; retry later.")

    with pytest.raises(BackendUnavailable):
        cache.run("k", down)
    cache.run("k", lambda: calls.append(1))
    assert calls == [1]


def test_a_concurrent_repeat_waits_for_the_first_attempt() -> None:
    cache, calls = IdempotencyCache(), []
    entered, release = threading.Event(), threading.Event()

    def slow() -> None:
        entered.set()
        release.wait(10)
        calls.append("first")

    first = threading.Thread(target=cache.run, args=("k", slow))
    first.start()
    entered.wait(10)
    second = threading.Thread(target=cache.run, args=("k", lambda: calls.append("second")))
    second.start()
    release.set()
    first.join(10)
    second.join(10)
    assert calls == ["first"]


def test_oldest_keys_are_dropped_beyond_capacity() -> None:
    cache, calls = IdempotencyCache(capacity=2), []
    for key in ("a", "b", "c"):
        cache.run(key, lambda: None)
    cache.run("a", lambda: calls.append("a"))
    cache.run("c", lambda: calls.append("c"))
    assert calls == ["a"]
