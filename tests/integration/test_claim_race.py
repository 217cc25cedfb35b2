"""Claimers racing for the last slot of a limit, each with its own Database (as separate
worker-serving processes would be): on SQLite and PostgreSQL, never more runs claimed than
the limit allows, whether the limit is a tag's, a deployment's or a work queue's."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest

from legato._clock import FakeClock
from legato.core.deployments import DeploymentSpec
from legato.core.states import StateType as S
from legato.orchestration import limits
from legato.orchestration.deployments import create_deployment
from legato.orchestration.local import LocalBackend
from legato.scheduling.deployments import run_deployment
from legato.store.database import Database

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CLAIMERS = 4
ROUNDS = 5


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest) -> str:
    value: str = request.getfixturevalue(
        "sqlite_url" if request.param == "sqlite" else "postgres_url")
    return value


@pytest.fixture
def backends(url: str) -> Iterator[list[LocalBackend]]:
    opened = [LocalBackend(Database(url), clock=FakeClock(T0)) for _ in range(CLAIMERS)]
    yield opened
    for backend in opened:
        backend.close()


def race(backends: list[LocalBackend], queue: str) -> list[str]:
    """Every backend claims at once; the ids all of them got."""
    start = threading.Barrier(len(backends), timeout=20)
    got: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def claim(index: int, backend: LocalBackend) -> None:
        try:
            worker_id = backend.register_worker(f"w{index}", [queue]).id
            start.wait()
            claims = backend.claim_flow_runs(worker_id, [queue], 5, lease_seconds=60)
            with lock:
                got.extend(c.flow_run.id for c in claims)
        except BaseException as error:  # reported by the test thread
            errors.append(error)

    threads = [threading.Thread(target=claim, args=(i, b)) for i, b in enumerate(backends)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    return got


def finish(backend: LocalBackend, run_ids: list[str]) -> None:
    for run_id in run_ids:
        backend.set_flow_run_state(run_id, S.FAILED, message="done")


Setup = Callable[[Database], DeploymentSpec]


def tag_limited(db: Database) -> DeploymentSpec:
    limits.set_concurrency_limit(db, "db", 1, now=T0)
    return DeploymentSpec("tagged", "etl", "f.py:etl", tags=("db",), work_queue="q")


def deployment_limited(db: Database) -> DeploymentSpec:
    return DeploymentSpec("capped", "etl", "f.py:etl", max_active_runs=1, work_queue="q")


def queue_limited(db: Database) -> DeploymentSpec:
    limits.create_work_queue(db, "q", now=T0, concurrency_limit=1)
    return DeploymentSpec("queued", "etl", "f.py:etl", work_queue="q")


@pytest.mark.parametrize("setup", [tag_limited, deployment_limited, queue_limited])
def test_racing_claimers_never_both_get_the_last_slot(
    backends: list[LocalBackend], setup: Setup
) -> None:
    db = backends[0].db
    deployment = create_deployment(db, setup(db), now=T0)
    for _ in range(CLAIMERS * ROUNDS):
        run_deployment(db, deployment.id, now=T0)
    for _ in range(ROUNDS):
        got = race(backends, "q")
        assert len(got) == 1, got
        finish(backends[0], got)
