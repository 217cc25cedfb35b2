"""The task-slot part of the Backend contract: task runs take one slot of every limited tag
they carry, all or none; slots are leases that expire unless renewed; asking again is
granted; freeing a slot (or the flow run ending) lets a waiting task run in.
BackendContract inherits it; subclasses provide `backend`, `clock` and `set_limit`."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from legato._clock import FakeClock
from legato.core.backend import Backend
from legato.core.ids import new_id
from legato.core.limits import TaskSlotGrant
from legato.core.records import NewFlowRun
from legato.core.states import StateType as S
from legato.errors import ParameterError

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LEASE = 30.0
SetLimit = Callable[[str, int], object]


def running_flow_run(backend: Backend) -> str:
    run_id = new_id()
    backend.create_flow_run(NewFlowRun(run_id, "etl", "quiet-lynx", {}, S.RUNNING, T0))
    return run_id


class TaskSlotContract:
    """Task-run concurrency slots."""

    def test_limited_tags_are_the_tags_with_a_limit(
        self, backend: Backend, set_limit: SetLimit
    ) -> None:
        assert backend.limited_tags() == frozenset()
        set_limit("db", 2)
        set_limit("gpu", 0)
        assert backend.limited_tags() == {"db", "gpu"}

    def test_slots_are_taken_all_or_none_up_to_each_limit(
        self, backend: Backend, set_limit: SetLimit
    ) -> None:
        set_limit("a", 1)
        set_limit("b", 2)
        run = running_flow_run(backend)
        one, two, three = new_id(), new_id(), new_id()

        def take(holder: str, *tags: str) -> TaskSlotGrant:
            return backend.acquire_task_slots(holder, run, list(tags), lease_seconds=LEASE)

        assert take(one, "a", "b", "unlimited") == TaskSlotGrant(True)
        assert take(two, "b") == TaskSlotGrant(True)
        assert take(three, "a") == TaskSlotGrant(False, ("a",))
        assert take(three, "a", "b") == TaskSlotGrant(False, ("a", "b"))
        # Refused as a whole: three took no slot of b, so two's release leaves b one free.
        backend.release_task_slots(two)
        assert take(three, "b") == TaskSlotGrant(True)
        assert take(new_id(), "b") == TaskSlotGrant(False, ("b",))
        backend.release_task_slots(one)
        backend.release_task_slots(three)
        assert take(new_id(), "a", "b") == TaskSlotGrant(True)

    def test_tags_without_a_limit_need_no_slot(self, backend: Backend) -> None:
        run = running_flow_run(backend)
        for _ in range(3):
            grant = backend.acquire_task_slots(new_id(), run, ["free"], lease_seconds=LEASE)
            assert grant.acquired
        assert backend.acquire_task_slots(new_id(), run, [], lease_seconds=LEASE).acquired

    def test_asking_again_for_held_slots_is_granted(
        self, backend: Backend, set_limit: SetLimit
    ) -> None:
        set_limit("db", 1)
        run = running_flow_run(backend)
        holder = new_id()
        assert backend.acquire_task_slots(holder, run, ["db"], lease_seconds=LEASE).acquired
        assert backend.acquire_task_slots(holder, run, ["db"], lease_seconds=LEASE).acquired
        assert not backend.acquire_task_slots(new_id(), run, ["db"], lease_seconds=LEASE).acquired

    def test_a_slot_not_renewed_expires_and_a_renewed_one_holds(
        self, backend: Backend, clock: FakeClock, set_limit: SetLimit
    ) -> None:
        set_limit("db", 1)
        run = running_flow_run(backend)
        dead, live, waiting = new_id(), new_id(), new_id()
        assert backend.acquire_task_slots(dead, run, ["db"], lease_seconds=LEASE).acquired
        clock.advance(LEASE + 1)
        # The dead holder's slot counts no more.
        assert backend.acquire_task_slots(live, run, ["db"], lease_seconds=LEASE).acquired
        for _ in range(3):
            clock.advance(LEASE - 5)
            assert backend.renew_task_slots([live, dead], lease_seconds=LEASE) == 1
            assert not backend.acquire_task_slots(waiting, run, ["db"],
                                                  lease_seconds=LEASE).acquired

    def test_a_waiting_acquire_gets_the_slot_freed_meanwhile(
        self, backend: Backend, set_limit: SetLimit
    ) -> None:
        set_limit("db", 1)
        run = running_flow_run(backend)
        holder = new_id()
        assert backend.acquire_task_slots(holder, run, ["db"], lease_seconds=LEASE).acquired
        grants: list[TaskSlotGrant] = []
        waiter = threading.Thread(target=lambda: grants.append(backend.acquire_task_slots(
            new_id(), run, ["db"], lease_seconds=LEASE, wait_seconds=15)))
        waiter.start()
        backend.release_task_slots(holder)
        waiter.join(timeout=30)
        assert grants == [TaskSlotGrant(True)]

    def test_the_end_of_a_flow_run_frees_its_task_runs_slots(
        self, backend: Backend, set_limit: SetLimit
    ) -> None:
        set_limit("db", 1)
        run = running_flow_run(backend)
        assert backend.acquire_task_slots(new_id(), run, ["db"], lease_seconds=LEASE).acquired
        backend.set_flow_run_state(run, S.CRASHED, message="its process died")
        other = running_flow_run(backend)
        assert backend.acquire_task_slots(new_id(), other, ["db"], lease_seconds=LEASE).acquired

    def test_a_bad_lease_is_refused(self, backend: Backend) -> None:
        with pytest.raises(ParameterError, match="lease_seconds"):
            backend.acquire_task_slots(new_id(), new_id(), ["db"], lease_seconds=0)
