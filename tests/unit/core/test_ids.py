"""Ids: UUIDv7-shaped strings, unique across many calls and threads."""

from __future__ import annotations

import threading
import uuid

from legato._clock import wall_seconds
from legato.core.ids import new_id


def test_id_is_a_version_7_uuid_string() -> None:
    value = new_id()
    parsed = uuid.UUID(value)
    assert str(parsed) == value
    assert parsed.version == 7
    assert parsed.variant == uuid.RFC_4122


def test_100k_ids_are_unique() -> None:
    ids = [new_id() for _ in range(100_000)]
    assert len(set(ids)) == len(ids)


def test_ids_made_on_many_threads_at_once_are_unique() -> None:
    per_thread, threads = 20_000, 8
    results: list[list[str]] = [[] for _ in range(threads)]
    start = threading.Barrier(threads)

    def make(out: list[str]) -> None:
        start.wait()
        out.extend(new_id() for _ in range(per_thread))

    workers = [threading.Thread(target=make, args=(out,)) for out in results]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    every = [i for out in results for i in out]
    assert len(every) == per_thread * threads
    assert len(set(every)) == len(every)


def test_id_starts_with_the_current_millisecond() -> None:
    before = int(wall_seconds() * 1000)
    value = new_id()
    after = int(wall_seconds() * 1000)
    ms = int(value.replace("-", "")[:12], 16)
    assert before - 1 <= ms <= after + 1
