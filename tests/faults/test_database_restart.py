"""PostgreSQL restarted under load: 100 runs in flight at once (each inside its third task)
on two workers while the database crashes and comes back. The API answers 503 (never 500) meanwhile, every component
reconnects, every run reaches a terminal state, none is lost or duplicated (Promise 1)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from legato.core.states import StateType as S
from legato.core.states import is_terminal
from legato.store import migrate
from tests.e2e.test_server import free_port

from .cluster import Cluster, wait_for
from .postgres_instance import PostgresInstance

RUNS = 100
OUTAGE_SECONDS = 3.0


@pytest.fixture
def instance() -> Iterator[PostgresInstance]:
    try:
        started = PostgresInstance(free_port())
    except (FileNotFoundError, OSError) as error:
        pytest.skip(f"cannot create a PostgreSQL cluster here: {error}")
    try:
        started.start()
        yield started
    finally:
        started.remove()


def test_postgres_restart_under_load_loses_and_duplicates_nothing(
    instance: PostgresInstance, tmp_path: Path
) -> None:
    url = instance.create_database("legato_restart")
    migrate.upgrade(url)
    cluster = Cluster(tmp_path, url)
    try:
        cluster.start_server()
        cluster.deploy("five", "load", crash_retries=3)
        gate = tmp_path / "gate"
        # Through the API, not 100 CLI processes: the fault is the restart, not the set-up.
        [deployment] = httpx.get(f"{cluster.url}/deployments", timeout=10).json()["items"]
        run_ids = [httpx.post(f"{cluster.url}/deployments/{deployment['id']}/runs", timeout=30,
                              json={"parameters": {"effects": str(cluster.effects),
                                                   "token": f"r{i}", "gate": str(gate),
                                                   "stop_at": 3}}).json()["id"]
                   for i in range(RUNS)]
        for name in ("w1", "w2"):
            cluster.worker(name, limit=RUNS // 2, lease=10.0)
        wait_for(lambda: sum(step == "step3" for step in _all_steps(cluster)) >= RUNS,
                 "every run is executing its third task", 240)
        running = cluster.backend.list_flow_runs(states=[S.RUNNING], limit=200)
        assert len(running) == RUNS, "all 100 runs are in flight when the database crashes"
        instance.stop(immediate=True)
        statuses = []
        down_until = time.monotonic() + OUTAGE_SECONDS
        while time.monotonic() < down_until:
            try:
                statuses.append(httpx.get(f"{cluster.url}/flow-runs?limit=1", timeout=5)
                                .status_code)
            except httpx.TransportError:
                statuses.append(0)
            time.sleep(0.2)
        instance.start()
        gate.touch()
        assert 503 in statuses, f"the API said {sorted(set(statuses))} while the database was down"
        assert not [s for s in statuses if s >= 500 and s != 503], statuses

        def all_final() -> bool:
            page = cluster.backend.list_flow_runs(limit=200)
            return len(page) == RUNS and all(is_terminal(run.state) for run in page)

        wait_for(all_final, "every run reaches a terminal state", 300)
        runs = cluster.backend.list_flow_runs(limit=200)
        assert sorted(run.id for run in runs) == sorted(run_ids), "no run lost or added"
        assert {run.state for run in runs} == {S.COMPLETED}
        for run_id in run_ids:
            history = [s for s, _ in cluster.history(run_id)]
            assert history.count(S.COMPLETED) == 1, (run_id, history)
        for i in range(RUNS):
            steps = cluster.effects_of(f"r{i}")
            assert steps[:3] == ["step1", "step2", "step3"], steps
            assert set(steps) == {f"step{k}" for k in range(1, 6)}, steps
        assert cluster.server is not None and cluster.server.process.poll() is None
    finally:
        cluster.stop_all()


def _all_steps(cluster: Cluster) -> list[str]:
    con = sqlite3.connect(cluster.effects, timeout=30)
    try:
        return [row[0] for row in con.execute("SELECT step FROM effects")]
    finally:
        con.close()
