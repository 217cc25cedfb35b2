"""Cancel end to end on PostgreSQL: `legato runs cancel` on a run executing in a `legato
worker`'s child process (warm fork or fresh subprocess). The run stops at its next task
boundary and ends CANCELLED with its finished tasks committed; a run without task boundaries
is terminated after the cancel grace, and one that ignores SIGTERM is killed. Either way the
lease is released and the worker's slot takes the next run."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from legato.core.cancel import CANCEL_REASON
from legato.core.states import StateType as S
from legato.store.database import Database
from legato.store.tables import leases
from tests.e2e.cli import LEGATO
from tests.faults.cluster import Cluster, read_pid, wait_for

pytestmark = pytest.mark.postgres

FLOWS = '''
import os
import signal
import time

from legato import flow, task


@task
def step(log: str, i: int) -> int:
    with open(log, "a") as fh:
        fh.write(f"{i}\\n")
    time.sleep(0.05)
    return i


@flow
def steps(log: str, count: int = 400) -> int:
    return sum(step(log, i) for i in range(count))


@task
def stubborn(pid_file: str, ignore_sigterm: bool) -> None:
    if ignore_sigterm:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    with open(pid_file, "w") as fh:
        fh.write(str(os.getpid()))
    time.sleep(120)


@flow
def endless(pid_file: str, ignore_sigterm: bool = False) -> None:
    stubborn(pid_file, ignore_sigterm)
'''
CANCEL_GRACE = 1.0


@pytest.fixture
def cluster(tmp_path: Path, postgres_url: str) -> Iterator[Cluster]:
    started = Cluster(tmp_path, postgres_url)
    (tmp_path / "cancel_flows.py").write_text(FLOWS)
    try:
        started.start_server()
        yield started
    finally:
        started.stop_all()


def start_worker(cluster: Cluster, launcher: str) -> None:
    cluster.start("worker", "worker", "--queue", "default", "--limit", "1", "--name", "w1",
                  "--api-url", cluster.url, "--lease-seconds", "2", "--poll-seconds", "0.1",
                  "--cancel-grace-seconds", str(CANCEL_GRACE), "--launcher", launcher)


def deploy_and_run(cluster: Cluster, flow: str, **parameters: object) -> str:
    cluster.cli("deploy", f"{cluster.tmp_path / 'cancel_flows.py'}:{flow}", "--name", "c")
    return cluster.run(flow, "c", **parameters)


def cancel(cluster: Cluster, run_id: str) -> None:
    """`legato runs cancel RUN_ID` against the cluster's server, as an operator types it."""
    env = {**cluster.env, "LEGATO_API_URL": cluster.url}
    done = subprocess.run([str(LEGATO), "runs", "cancel", run_id], env=env, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, (done.stdout, done.stderr)


def lines(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


def lease_count(url: str) -> int:
    db = Database(url)
    try:
        with db.reading() as conn:
            return len(conn.execute(leases.select()).all())
    finally:
        db.dispose()


def gone(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def the_slot_takes_the_next_run(cluster: Cluster) -> None:
    log = cluster.tmp_path / "next.log"
    run_id = cluster.run("steps", "c", log=str(log), count=2)
    wait_for(lambda: cluster.state(run_id) is S.COMPLETED, "the next run COMPLETED", 60)


@pytest.mark.parametrize("launcher", ["warm", "subprocess"])
def test_a_cancelled_run_stops_at_its_next_task_and_ends_cancelled(
    cluster: Cluster, postgres_url: str, launcher: str
) -> None:
    log = cluster.tmp_path / "steps.log"
    run_id = deploy_and_run(cluster, "steps", log=str(log))
    start_worker(cluster, launcher)
    wait_for(lambda: len(lines(log)) >= 3, "three tasks ran", 60)
    cancel(cluster, run_id)
    wait_for(lambda: cluster.state(run_id) is S.CANCELLED, "the run is CANCELLED", 30)
    record = cluster.backend.read_flow_run(run_id)
    assert record.state_message == "the flow run was cancelled"  # the engine's own ending
    done = [t for t in cluster.backend.read_task_runs(run_id) if t.state is S.COMPLETED]
    assert 3 <= len(done) < 400
    time.sleep(0.5)  # nothing runs after the run ended
    assert len(lines(log)) == len(done)
    assert lease_count(postgres_url) == 0
    the_slot_takes_the_next_run(cluster)


@pytest.mark.parametrize("ignore_sigterm", [False, True], ids=["sigterm", "sigkill"])
def test_a_run_that_does_not_reach_a_task_boundary_is_stopped_after_the_grace(
    cluster: Cluster, postgres_url: str, ignore_sigterm: bool
) -> None:
    pid_file = cluster.tmp_path / "task.pid"
    run_id = deploy_and_run(cluster, "endless", pid_file=str(pid_file),
                            ignore_sigterm=ignore_sigterm)
    start_worker(cluster, "warm")
    pid = read_pid(pid_file, 60)
    started = time.monotonic()
    cancel(cluster, run_id)
    wait_for(lambda: cluster.state(run_id) is S.CANCELLED, "the run is CANCELLED", 30)
    took = time.monotonic() - started
    assert took >= CANCEL_GRACE * (2 if ignore_sigterm else 1)
    assert cluster.backend.read_flow_run(run_id).state_message == CANCEL_REASON
    wait_for(lambda: gone(pid), "the run's process is gone", 10)
    assert lease_count(postgres_url) == 0
    assert os.path.exists(pid_file)
    cluster.cli("deploy", f"{cluster.tmp_path / 'cancel_flows.py'}:steps", "--name", "c")
    the_slot_takes_the_next_run(cluster)
