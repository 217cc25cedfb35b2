"""A worker dies holding claims it never started, or is asked to stop with runs going:
every run still executes exactly once and no slot or RUNNING state is left behind."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import UTC, datetime

from legato.core.states import StateType as S
from legato.orchestration.limits import list_concurrency_limits, set_concurrency_limit
from legato.store.database import Database
from legato.workers.worker import SHUTDOWN_REASON

from .cluster import CRASH_BOUND_SECONDS, LEASE_SECONDS, Cluster, wait_for

EXIT_MARGIN_SECONDS = 5.0

GRABBER = """
import sys, time
from legato.client.http import HttpBackend

backend = HttpBackend(sys.argv[1], timeout=10)
worker = backend.register_worker("grabber", ["default"])
claims = backend.claim_flow_runs(worker.id, ["default"], 10, lease_seconds=float(sys.argv[2]))
print(" ".join(claim.flow_run.id for claim in claims), flush=True)
time.sleep(600)
"""


def test_a_worker_killed_before_starting_its_claims_frees_them_and_their_slots(
    cluster: Cluster, database_url: str
) -> None:
    db = Database(database_url)
    try:
        set_concurrency_limit(db, "*", 3, now=datetime.now(UTC))
        cluster.deploy("single", "grab", crash_retries=1)
        run_ids = [cluster.run("single", "grab", effects=str(cluster.effects), token=f"g{i}")
                   for i in range(6)]
        grabber = subprocess.Popen(
            [sys.executable, "-c", GRABBER, cluster.url, str(LEASE_SECONDS)],
            env=cluster.env, stdout=subprocess.PIPE, text=True, start_new_session=True)
        cluster.started.append(grabber)  # type: ignore[arg-type]
        assert grabber.stdout is not None
        grabbed = grabber.stdout.readline().split()
        assert len(grabbed) == 3, "the global limit of 3 slots bounds the claim"
        [limit] = list_concurrency_limits(db, now=datetime.now(UTC))
        assert limit.in_use == 3
        grabber.send_signal(signal.SIGKILL)
        grabber.wait(timeout=10)
        grabber.stdout.close()
        wait_for(lambda: all(S.CRASHED in [s for s, _ in cluster.history(r)] for r in grabbed),
                 "the grabbed runs are CRASHED", CRASH_BOUND_SECONDS + 10)
        cluster.worker("w1", limit=4)
        wait_for(lambda: all(cluster.state(r) is S.COMPLETED for r in run_ids),
                 "every run COMPLETED", 90)
        for i in range(6):
            assert cluster.effects_of(f"g{i}") == ["once"], f"run g{i} executed exactly once"
        wait_for(lambda: list_concurrency_limits(db, now=datetime.now(UTC))[0].in_use == 0,
                 "every slot is free again", 10)
    finally:
        db.dispose()


def test_sigterm_with_four_running_runs_leaves_nothing_running_and_exits_in_grace(
    cluster: Cluster,
) -> None:
    cluster.deploy("five", "held", crash_retries=0)
    gates = [cluster.tmp_path / f"gate{i}" for i in range(4)]
    run_ids = [cluster.run("five", "held", effects=str(cluster.effects), token=f"h{i}",
                           gate=str(gate), stop_at=2) for i, gate in enumerate(gates)]
    grace = 2.0
    worker = cluster.worker("leaving", limit=4, grace=grace)
    wait_for(lambda: all(cluster.state(r) is S.RUNNING for r in run_ids)
             and all((cluster.tmp_path / f"gate{i}.pid").exists() for i in range(4)),
             "four runs are RUNNING inside task 2", 60)
    asked_at = time.monotonic()
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=grace + 15) == 0
    # The grace period, then terminating four children and reporting them: a few seconds.
    assert time.monotonic() - asked_at <= grace + EXIT_MARGIN_SECONDS
    states = {cluster.state(r) for r in run_ids}
    assert S.RUNNING not in states and S.PENDING not in states
    assert states == {S.CRASHED}
    for run_id in run_ids:
        assert cluster.backend.read_flow_run(run_id).state_message == SHUTDOWN_REASON
