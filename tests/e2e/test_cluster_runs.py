"""A cluster on PostgreSQL end to end: a `legato server --no-worker` process (API, scheduler,
lease monitor) and two `legato worker` processes. 300 runs of 30 deployments each execute
exactly once (a side-effect table counts executions); a worker SIGKILLed in the middle of a
run has that run CRASHED by the server's monitor within the bound of Promise 2, retried per
the deployment's crash retries by the other worker, without re-running committed tasks."""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from legato.client.deploy import DeployOptions, deploy_flow
from legato.client.deployments import DeploymentsClient
from legato.core.states import StateType as S
from legato.sdk.runtime import load_flow
from legato.store.database import Database
from legato.store.tables import flow_runs, state_events
from tests.faults.cluster import CRASH_BOUND_SECONDS, Cluster, read_pid, wait_for

pytestmark = pytest.mark.postgres

DEPLOYMENTS = 30
RUNS_EACH = 10


@pytest.fixture
def cluster(tmp_path: Path, postgres_url: str) -> Iterator[Cluster]:
    started = Cluster(tmp_path, postgres_url)
    try:
        started.start_server()
        yield started
    finally:
        started.stop_all()


@pytest.fixture
def db(postgres_url: str) -> Iterator[Database]:
    database = Database(postgres_url)
    try:
        yield database
    finally:
        database.dispose()


def count_completed(db: Database) -> int:
    query = select(func.count()).select_from(flow_runs).where(
        flow_runs.c.state == S.COMPLETED.value)
    with db.reading() as conn:
        return int(conn.execute(query).scalar_one())


def states_of(db: Database) -> dict[str, int]:
    with db.reading() as conn:
        rows = conn.execute(select(flow_runs.c.state, func.count())
                            .group_by(flow_runs.c.state)).all()
    return {state: count for state, count in rows}


def executions(effects: Path) -> dict[str, int]:
    con = sqlite3.connect(effects, timeout=30)
    try:
        rows = con.execute("SELECT token, COUNT(*) FROM effects GROUP BY token").fetchall()
    finally:
        con.close()
    return {token: count for token, count in rows}


def test_300_runs_of_30_deployments_each_execute_exactly_once(
    cluster: Cluster, db: Database
) -> None:
    flow = load_flow(f"{cluster.flows}:single")
    tokens: dict[str, str] = {}
    with DeploymentsClient(cluster.url) as client:
        deployments = [deploy_flow(flow, DeployOptions(f"d{i:02}"), client)[0].id
                       for i in range(DEPLOYMENTS)]
        for name in ("w1", "w2"):
            # Leases of the default length: this test is about claims, not crash detection,
            # and 16 runs at once on a shared machine can delay a heartbeat past 2 s.
            cluster.start(name, "worker", "--queue", "default", "--limit", "8", "--name", name,
                          "--api-url", cluster.url, "--poll-seconds", "0.05")
        for i, deployment_id in enumerate(deployments):
            for j in range(RUNS_EACH):
                token = f"d{i:02}-r{j}"
                run = client.run(deployment_id, {"effects": str(cluster.effects), "token": token})
                tokens[run.id] = token
    total = DEPLOYMENTS * RUNS_EACH
    assert len(tokens) == total
    try:
        wait_for(lambda: count_completed(db) == total, f"{total} runs COMPLETED", 180)
    except AssertionError as error:
        raise AssertionError(f"{error}; runs by state: {states_of(db)}; worker w1:\n"
                             f"{cluster.output('w1')[-3000:]}") from None
    assert executions(cluster.effects) == {token: 1 for token in tokens.values()}
    with db.reading() as conn:
        claims = conn.execute(
            select(state_events.c.run_id, state_events.c.message)
            .where(state_events.c.run_kind == "flow")
            .where(state_events.c.to_state == S.PENDING.value)).all()
    assert sorted(run_id for run_id, _ in claims) == sorted(tokens)  # each claimed once
    assert {message for _, message in claims} == {"claimed by worker w1",
                                                 "claimed by worker w2"}
    assert states_of(db) == {S.COMPLETED.value: total}


def test_a_sigkilled_workers_run_is_crashed_in_bound_retried_and_keeps_committed_tasks(
    cluster: Cluster,
) -> None:
    cluster.deploy("five", "doomed", crash_retries=1)
    gate = cluster.tmp_path / "gate"
    run_id = cluster.run("five", "doomed", effects=str(cluster.effects), token="k",
                         gate=str(gate), stop_at=3)
    doomed = cluster.worker("doomed")
    read_pid(cluster.tmp_path / "gate.pid", 60)
    wait_for(lambda: [t.task_name for t in cluster.backend.read_task_runs(run_id)
                      if t.state is S.COMPLETED] == ["step", "step"], "tasks 1-2 committed")
    cluster.worker("rescuer")
    # The worker's host dies: the worker, its warm parent and the run's process at once.
    killed_at = time.monotonic()
    os.killpg(doomed.pid, signal.SIGKILL)
    doomed.wait(timeout=10)
    crashed_at = wait_for(lambda: any(s is S.CRASHED for s, _ in cluster.history(run_id)),
                          "the run is CRASHED", CRASH_BOUND_SECONDS + 10)
    assert crashed_at - killed_at <= CRASH_BOUND_SECONDS
    gate.touch()
    wait_for(lambda: cluster.state(run_id) is S.COMPLETED, "the retried run COMPLETED", 60)
    history = cluster.history(run_id)
    crashed = [message for state, message in history if state is S.CRASHED]
    assert len(crashed) == 1
    assert crashed[0].startswith("lease expired: worker doomed stopped heartbeating")
    assert [m for s, m in history if s is S.PENDING] == ["claimed by worker doomed",
                                                          "claimed by worker rescuer"]
    assert any(s is S.SCHEDULED and "crash retry 1 of 1" in m for s, m in history)
    # Tasks 1 and 2 were committed before the kill and are not executed again; task 3 was
    # in flight and runs again (at least once).
    assert cluster.effects_of("k") == ["step1", "step2", "step3", "step3", "step4", "step5"]
