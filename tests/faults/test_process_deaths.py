"""Processes die or stall at the worst moment; runs still end exactly once, within the
crash bound, without re-running work that was committed (Promises 1, 2, 3 and 5)."""

from __future__ import annotations

import os
import signal
import time

from legato.core.states import StateType as S

from .cluster import CRASH_BOUND_SECONDS, LEASE_SECONDS, Cluster, read_pid, wait_for


def test_sigkill_of_the_run_process_in_task_3_of_5_crashes_retries_and_keeps_tasks_1_2(
    cluster: Cluster,
) -> None:
    cluster.deploy("five", "kill3", crash_retries=1)
    gate = cluster.tmp_path / "gate"
    run_id = cluster.run("five", "kill3", effects=str(cluster.effects), token="k",
                         gate=str(gate), stop_at=3)
    cluster.worker("w1")
    pid = read_pid(cluster.tmp_path / "gate.pid")
    wait_for(lambda: [t.task_name for t in cluster.backend.read_task_runs(run_id)
                      if t.state is S.COMPLETED] == ["step", "step"], "tasks 1-2 committed")
    killed_at = time.monotonic()
    os.kill(pid, signal.SIGKILL)
    crashed_at = wait_for(lambda: any(s is S.CRASHED for s, _ in cluster.history(run_id)),
                          "the run is CRASHED", seconds=CRASH_BOUND_SECONDS + 10)
    assert crashed_at - killed_at <= CRASH_BOUND_SECONDS
    gate.touch()
    wait_for(lambda: cluster.state(run_id) is S.COMPLETED, "the retried run COMPLETED", 60)
    assert cluster.backend.read_flow_run(run_id).result is not None
    assert cluster.effects_of("k") == ["step1", "step2", "step3", "step3", "step4", "step5"]
    states = [s for s, _ in cluster.history(run_id)]
    assert states.count(S.CRASHED) == 1 and states.count(S.COMPLETED) == 1
    logs = [log.message for log in cluster.backend.read_logs(run_id, limit=1000)]
    assert any("step 1 of k ran" in m for m in logs), "logs written before the kill are kept"
    assert any("step 3 of k ran" in m for m in logs)


def test_a_cpu_bound_task_longer_than_the_lease_is_not_declared_dead(cluster: Cluster) -> None:
    cluster.deploy("busy", "cpu")
    run_id = cluster.run("busy", "cpu", effects=str(cluster.effects), token="cpu",
                         seconds=LEASE_SECONDS * 3)
    cluster.worker("w1")
    wait_for(lambda: cluster.state(run_id) is S.COMPLETED, "the busy run COMPLETED", 60)
    assert S.CRASHED not in [s for s, _ in cluster.history(run_id)]
    assert cluster.effects_of("cpu") == ["spin"]


def test_a_blocked_event_loop_longer_than_the_lease_is_not_declared_dead(
    cluster: Cluster,
) -> None:
    cluster.deploy("blocking", "loop")
    run_id = cluster.run("blocking", "loop", effects=str(cluster.effects), token="loop",
                         seconds=LEASE_SECONDS * 3)
    cluster.worker("w1")
    wait_for(lambda: cluster.state(run_id) is S.COMPLETED, "the blocking run COMPLETED", 60)
    assert S.CRASHED not in [s for s, _ in cluster.history(run_id)]
    assert cluster.effects_of("loop") == ["block_loop"]


def test_a_stopped_worker_past_its_lease_is_fenced_off_and_the_run_completes_once(
    cluster: Cluster,
) -> None:
    cluster.deploy("five", "stop", crash_retries=1)
    gate = cluster.tmp_path / "gate"
    run_id = cluster.run("five", "stop", effects=str(cluster.effects), token="s",
                         gate=str(gate), stop_at=2)
    stale = cluster.worker("stale")
    read_pid(cluster.tmp_path / "gate.pid")
    wait_for(lambda: [t.task_name for t in cluster.backend.read_task_runs(run_id)
                      if t.state is S.COMPLETED] == ["step"], "task 1 committed")
    os.killpg(stale.pid, signal.SIGSTOP)  # the worker and its run process freeze together
    try:
        wait_for(lambda: any(s is S.CRASHED for s, _ in cluster.history(run_id)),
                 "the monitor crashes the frozen worker's run", CRASH_BOUND_SECONDS + 10)
        gate.touch()
        cluster.worker("rescuer")
        wait_for(lambda: cluster.state(run_id) is S.COMPLETED, "the rescuer completes it", 60)
    finally:
        os.killpg(stale.pid, signal.SIGCONT)
    # The stale holder wakes up; its first write or heartbeat is refused (fencing) and its
    # run process stops — on its own, or terminated by its worker, whichever learns first.
    # Tasks it started before that came back may have run (docs/guarantees.md).
    wait_for(lambda: _stale_child_gone(cluster), "the stale run process exits", 60)
    wait_for(lambda: any(said in cluster.output("stale")
                         for said in ("no longer holds flow run", "lost the run")),
             "the stale worker or its run process reports the lost run", 30)
    states = [s for s, _ in cluster.history(run_id)]
    assert states.count(S.COMPLETED) == 1 and states[-1] is S.COMPLETED
    assert cluster.backend.read_flow_run(run_id).state is S.COMPLETED
    assert cluster.effects_of("s").count("step1") == 1, "task 1 was committed before the stop"


def _stale_child_gone(cluster: Cluster) -> bool:
    pid = int((cluster.tmp_path / "gate.pid").read_text())
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False
