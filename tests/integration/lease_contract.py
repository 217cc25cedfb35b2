"""The workers-and-leases part of the Backend contract: registering workers, claiming
SCHEDULED runs with a lease and an epoch, heartbeats, and fencing of stale holders.
BackendContract inherits it, so it runs against every backend."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from legato._clock import FakeClock
from legato.core.backend import Backend
from legato.core.ids import new_id
from legato.core.records import (
    Fence,
    FlowRunEnding,
    NewFlowRun,
    ResultRef,
    StateEvent,
    TaskRunRow,
    WriteBatch,
)
from legato.core.states import StateType as S
from legato.errors import NotFound, StaleEpoch, StateTransitionError

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LEASE = 30.0


def scheduled_run(backend: Backend, created: datetime = T0) -> str:
    run_id = new_id()
    backend.create_flow_run(
        NewFlowRun(run_id, "etl", "calm-heron", {}, S.SCHEDULED, created, entrypoint="f.py:etl")
    )
    return run_id


def completed_row(flow_run_id: str) -> tuple[TaskRunRow, list[StateEvent]]:
    row_id = new_id()
    row = TaskRunRow(row_id, flow_run_id, "load-1", "load", None, S.COMPLETED, None, 1, T0, T0,
                     T0, T0, None, None, None, True)
    events = [StateEvent(row_id, "task", None, S.PENDING, T0),
              StateEvent(row_id, "task", S.PENDING, S.RUNNING, T0),
              StateEvent(row_id, "task", S.RUNNING, S.COMPLETED, T0)]
    return row, events


class LeaseContract:
    """Workers and leases; subclasses provide `backend` and `clock` fixtures."""

    def test_registering_a_worker_again_by_name_keeps_its_id(self, backend: Backend) -> None:
        first = backend.register_worker("w1", ["default"], pid=123, host="box")
        again = backend.register_worker("w1", ["default", "gpu"])
        backend.register_worker("w0", ["default"])
        assert again.id == first.id
        listed = backend.list_workers()
        assert [w.name for w in listed] == ["w0", "w1"]
        assert listed[1].queues == ("default", "gpu")
        assert listed[1].status == "online"

    def test_worker_heartbeat_records_status_and_unknown_worker_is_not_found(
        self, backend: Backend, clock: FakeClock
    ) -> None:
        worker = backend.register_worker("w1", ["default"])
        clock.advance(5)
        backend.worker_heartbeat(worker.id, status="stopped")
        (stored,) = backend.list_workers()
        assert stored.status == "stopped"
        assert stored.heartbeat_at == clock.now()
        with pytest.raises(NotFound, match="register"):
            backend.worker_heartbeat(new_id())

    def test_claim_moves_runs_to_pending_oldest_first_with_an_epoch_and_a_lease(
        self, backend: Backend, clock: FakeClock
    ) -> None:
        worker = backend.register_worker("w1", ["default"])
        newer = scheduled_run(backend, T0 + timedelta(seconds=1))
        older = scheduled_run(backend, T0)
        (claim,) = backend.claim_flow_runs(worker.id, ["default"], 1, lease_seconds=LEASE)
        assert claim.flow_run.id == older
        assert claim.flow_run.state is S.PENDING
        assert claim.flow_run.state_message == "claimed by worker w1"
        assert claim.epoch == 1
        assert claim.expires_at == clock.now() + timedelta(seconds=LEASE)
        assert backend.read_flow_run(older).state is S.PENDING
        assert backend.read_flow_run(newer).state is S.SCHEDULED
        (second,) = backend.claim_flow_runs(worker.id, ["default"], 5, lease_seconds=LEASE)
        assert second.flow_run.id == newer
        assert backend.claim_flow_runs(worker.id, ["default"], 5, lease_seconds=LEASE) == []

    def test_a_claim_that_starts_its_runs_moves_them_through_pending_to_running(
        self, backend: Backend, clock: FakeClock
    ) -> None:
        worker = backend.register_worker("w1", ["default"])
        run_id = scheduled_run(backend)
        (claim,) = backend.claim_flow_runs(worker.id, ["default"], 1, lease_seconds=LEASE,
                                           start=True)
        assert claim.flow_run.state is S.RUNNING
        assert claim.flow_run.run_count == 1
        assert claim.flow_run.start_time == clock.now()
        stored = backend.read_flow_run(run_id)
        assert (stored.state, stored.run_count) == (S.RUNNING, 1)
        events = backend.read_state_events(run_id)
        assert [(e.from_state, e.to_state) for e in events[-2:]] == [
            (S.SCHEDULED, S.PENDING), (S.PENDING, S.RUNNING)]
        # The lease and its fencing hold as for any claim.
        with pytest.raises(StaleEpoch):
            backend.set_flow_run_state(run_id, S.COMPLETED, epoch=claim.epoch - 1)
        backend.set_flow_run_state(run_id, S.COMPLETED, epoch=claim.epoch)
        assert backend.read_flow_run(run_id).state is S.COMPLETED

    def test_claim_takes_only_scheduled_runs_of_the_given_queues(self, backend: Backend) -> None:
        worker = backend.register_worker("w1", ["gpu"])
        backend.create_flow_run(
            NewFlowRun(new_id(), "etl", "n", {}, S.PENDING, T0, entrypoint="f.py:etl"))
        run_id = scheduled_run(backend)
        assert backend.claim_flow_runs(worker.id, ["gpu"], 5, lease_seconds=LEASE) == []
        claims = backend.claim_flow_runs(worker.id, ["gpu", "default"], 5, lease_seconds=LEASE)
        assert [c.flow_run.id for c in claims] == [run_id]

    def test_a_waiting_claim_returns_a_run_scheduled_while_it_waits(
        self, backend: Backend
    ) -> None:
        worker = backend.register_worker("w1", ["default"])
        later = threading.Timer(0.2, scheduled_run, args=(backend,))
        later.start()
        try:
            claims = backend.claim_flow_runs(worker.id, ["default"], 1, lease_seconds=LEASE,
                                             wait_seconds=15)
        finally:
            later.join()
        assert [c.flow_run.state for c in claims] == [S.PENDING]

    def test_a_waiting_claim_with_nothing_to_claim_returns_empty_after_the_wait(
        self, backend: Backend
    ) -> None:
        worker = backend.register_worker("w1", ["default"])
        assert backend.claim_flow_runs(worker.id, ["default"], 1, lease_seconds=LEASE,
                                       wait_seconds=0.05) == []

    def test_claim_by_an_unknown_worker_is_not_found(self, backend: Backend) -> None:
        scheduled_run(backend)
        with pytest.raises(NotFound):
            backend.claim_flow_runs(new_id(), ["default"], 1, lease_seconds=LEASE)

    def test_concurrent_claimers_never_get_the_same_run(self, backend: Backend) -> None:
        runs = {scheduled_run(backend, T0 + timedelta(microseconds=i)) for i in range(30)}
        workers = [backend.register_worker(f"w{i}", ["default"]) for i in range(3)]
        got: list[str] = []
        lock = threading.Lock()

        def claim(worker_id: str) -> None:
            for _ in range(10):
                claims = backend.claim_flow_runs(worker_id, ["default"], 2, lease_seconds=LEASE)
                with lock:
                    got.extend(c.flow_run.id for c in claims)

        threads = [threading.Thread(target=claim, args=(w.id,)) for w in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(got) == sorted(runs)

    def test_heartbeat_extends_the_lease_of_the_current_holder(
        self, backend: Backend, clock: FakeClock
    ) -> None:
        worker = backend.register_worker("w1", ["default"])
        scheduled_run(backend)
        (claim,) = backend.claim_flow_runs(worker.id, ["default"], 1, lease_seconds=LEASE)
        clock.advance(10)
        expires = backend.heartbeat_lease(claim.flow_run.id, worker.id, claim.epoch,
                                          lease_seconds=LEASE)
        assert expires == clock.now() + timedelta(seconds=LEASE)
        with pytest.raises(StaleEpoch, match="stop executing"):
            backend.heartbeat_lease(claim.flow_run.id, worker.id, claim.epoch + 1,
                                    lease_seconds=LEASE)

    def test_one_heartbeat_renews_every_held_lease_and_names_the_lost_ones(
        self, backend: Backend, clock: FakeClock
    ) -> None:
        worker = backend.register_worker("w1", ["default"])
        for _ in range(3):
            scheduled_run(backend)
        held, ended, stolen = backend.claim_flow_runs(worker.id, ["default"], 3,
                                                      lease_seconds=LEASE, start=True)
        backend.set_flow_run_state(ended.flow_run.id, S.COMPLETED, epoch=ended.epoch)
        clock.advance(10)
        lost = backend.heartbeat_leases(
            worker.id, [(c.flow_run.id, c.epoch) for c in (held, ended)]
            + [(stolen.flow_run.id, stolen.epoch + 1)], lease_seconds=LEASE)
        assert sorted(lost) == sorted([ended.flow_run.id, stolen.flow_run.id])
        # The held run's lease now runs from the heartbeat: it survives past the old expiry.
        clock.advance(LEASE - 5)
        assert backend.heartbeat_leases(worker.id, [(held.flow_run.id, held.epoch)],
                                        lease_seconds=LEASE) == []
        assert backend.heartbeat_leases(worker.id, [], lease_seconds=LEASE) == []

    def test_a_terminal_state_releases_the_lease(self, backend: Backend) -> None:
        worker = backend.register_worker("w1", ["default"])
        scheduled_run(backend)
        (claim,) = backend.claim_flow_runs(worker.id, ["default"], 1, lease_seconds=LEASE)
        run_id = claim.flow_run.id
        backend.set_flow_run_state(run_id, S.RUNNING, epoch=claim.epoch)
        backend.set_flow_run_state(run_id, S.COMPLETED, epoch=claim.epoch)
        with pytest.raises(StaleEpoch):
            backend.heartbeat_lease(run_id, worker.id, claim.epoch, lease_seconds=LEASE)

    def test_state_change_with_a_stale_epoch_is_refused_and_changes_nothing(
        self, backend: Backend
    ) -> None:
        worker = backend.register_worker("w1", ["default"])
        scheduled_run(backend)
        (claim,) = backend.claim_flow_runs(worker.id, ["default"], 1, lease_seconds=LEASE)
        with pytest.raises(StaleEpoch, match="epoch 1, not 0"):
            backend.set_flow_run_state(claim.flow_run.id, S.RUNNING, epoch=0)
        assert backend.read_flow_run(claim.flow_run.id).state is S.PENDING
        running = backend.set_flow_run_state(claim.flow_run.id, S.RUNNING, epoch=claim.epoch)
        assert running.state is S.RUNNING

    def test_write_batch_with_a_stale_fence_stores_nothing(self, backend: Backend) -> None:
        worker = backend.register_worker("w1", ["default"])
        scheduled_run(backend)
        (claim,) = backend.claim_flow_runs(worker.id, ["default"], 1, lease_seconds=LEASE)
        run_id = claim.flow_run.id
        row, events = completed_row(run_id)
        with pytest.raises(StaleEpoch):
            backend.write(WriteBatch([row], events, fence=Fence(run_id, claim.epoch - 1)))
        assert backend.read_task_runs(run_id) == []
        backend.write(WriteBatch([row], events, fence=Fence(run_id, claim.epoch)))
        assert [r.task_key for r in backend.read_task_runs(run_id)] == ["load-1"]

    def test_unfenced_writes_and_state_changes_are_unaffected_by_leases(
        self, backend: Backend
    ) -> None:
        worker = backend.register_worker("w1", ["default"])
        scheduled_run(backend)
        (claim,) = backend.claim_flow_runs(worker.id, ["default"], 1, lease_seconds=LEASE)
        row, events = completed_row(claim.flow_run.id)
        backend.write(WriteBatch([row], events))
        assert backend.set_flow_run_state(claim.flow_run.id, S.RUNNING).state is S.RUNNING

    def test_a_write_batch_ending_its_run_commits_the_rows_and_the_final_state(
        self, backend: Backend
    ) -> None:
        worker = backend.register_worker("w1", ["default"])
        scheduled_run(backend)
        (claim,) = backend.claim_flow_runs(worker.id, ["default"], 1, lease_seconds=LEASE,
                                           start=True)
        run_id = claim.flow_run.id
        row, events = completed_row(run_id)
        ending = FlowRunEnding(run_id, S.COMPLETED, None, ResultRef("json", "inline", b"7"))
        backend.write(WriteBatch([row], events, fence=Fence(run_id, claim.epoch),
                                 ending=ending))
        stored = backend.read_flow_run(run_id)
        assert (stored.state, stored.result) == (S.COMPLETED, ending.result)
        assert [r.task_key for r in backend.read_task_runs(run_id)] == ["load-1"]
        assert backend.read_state_events(run_id)[-1].to_state is S.COMPLETED
        with pytest.raises(StaleEpoch):  # the terminal state released the lease
            backend.heartbeat_lease(run_id, worker.id, claim.epoch, lease_seconds=LEASE)

    def test_a_refused_ending_leaves_the_rest_of_its_batch_committed(
        self, backend: Backend
    ) -> None:
        run_id = scheduled_run(backend)
        backend.set_flow_run_state(run_id, S.RUNNING)
        backend.set_flow_run_state(run_id, S.CANCELLED)
        row, events = completed_row(run_id)
        with pytest.raises(StateTransitionError, match=run_id):
            backend.write(WriteBatch([row], events, ending=FlowRunEnding(run_id, S.COMPLETED)))
        assert backend.read_flow_run(run_id).state is S.CANCELLED
        assert [r.task_key for r in backend.read_task_runs(run_id)] == ["load-1"]

    def test_a_stale_fence_keeps_the_ending_out_too(self, backend: Backend) -> None:
        worker = backend.register_worker("w1", ["default"])
        scheduled_run(backend)
        (claim,) = backend.claim_flow_runs(worker.id, ["default"], 1, lease_seconds=LEASE,
                                           start=True)
        run_id = claim.flow_run.id
        with pytest.raises(StaleEpoch):
            backend.write(WriteBatch(fence=Fence(run_id, claim.epoch - 1),
                                     ending=FlowRunEnding(run_id, S.COMPLETED)))
        assert backend.read_flow_run(run_id).state is S.RUNNING
