"""Cross-process behaviour of the store: several processes registering the same flow
version agree on one id, and SQLite writers in different processes wait for each other
instead of failing with "database is locked"."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from typing import TypeVar

import pytest

from legato.core.ids import new_id
from legato.core.records import NewFlowRun
from legato.core.states import StateType
from legato.orchestration.local import LocalBackend
from legato.store.database import Database

PROCESSES = 3
T = TypeVar("T")


def _register_versions(url: str) -> list[str]:
    backend = LocalBackend(Database(url))
    try:
        return [
            backend.register_flow_version("shared", f"source {i}", f"hash-{i}", None)
            for i in range(15)
        ]
    finally:
        backend.close()


def _create_runs(url: str) -> int:
    backend = LocalBackend(Database(url))
    try:
        for _ in range(30):
            backend.create_flow_run(
                NewFlowRun(
                    id=new_id(),
                    flow_name="busy",
                    name="run",
                    parameters={},
                    state=StateType.PENDING,
                    created=datetime(2026, 1, 1, tzinfo=UTC),
                )
            )
        return 30
    finally:
        backend.close()


def _in_processes(function: Callable[[str], T], url: str) -> list[T]:
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(PROCESSES, mp_context=context) as pool:
        futures = [pool.submit(function, url) for _ in range(PROCESSES)]
        return [future.result() for future in futures]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest) -> str:
    value: str = request.getfixturevalue(f"{request.param.replace('postgresql', 'postgres')}_url")
    return value


def test_processes_registering_the_same_versions_get_the_same_ids(url: str) -> None:
    results = _in_processes(_register_versions, url)
    assert all(ids == results[0] for ids in results)
    assert len(set(results[0])) == 15


def test_processes_writing_at_once_all_succeed(url: str) -> None:
    assert _in_processes(_create_runs, url) == [30] * PROCESSES
    backend = LocalBackend(Database(url))
    try:
        assert len(backend.list_flow_runs(flow_name="busy", limit=1000)) == 30 * PROCESSES
    finally:
        backend.close()
