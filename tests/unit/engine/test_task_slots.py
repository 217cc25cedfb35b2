"""Task-level concurrency limits in the engine: task runs carrying a limited tag take a slot
per attempt (at most `limit` RUNNING at once), free it after, wait while the limit is full
and stop waiting when the flow run is cancelled; untagged tasks never ask the backend."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from legato import flow, task
from legato.core.limits import TaskSlotGrant
from legato.core.states import StateType
from legato.engine.context import cancel_flow_runs
from legato.testing import FakeClock, InMemoryBackend, legato_test_harness

from .support import task_runs

S = StateType


class Overlap:
    """Counts task bodies running at once; each body waits (bounded) until `target` run."""

    def __init__(self, target: int) -> None:
        self.target = target
        self.running = 0
        self.peak = 0
        self.condition = threading.Condition()

    def body(self) -> None:
        with self.condition:
            self.running += 1
            self.peak = max(self.peak, self.running)
            self.condition.notify_all()
            # Bounded: a limit that lets fewer than `target` run ends the wait by timeout.
            self.condition.wait_for(lambda: self.peak >= self.target, timeout=2)
        with self.condition:
            self.running -= 1


def test_task_runs_sharing_a_limited_tag_run_at_most_limit_at_once(
    backend: InMemoryBackend,
) -> None:
    backend.task_limits["db"] = 2
    overlap = Overlap(target=2)

    @task(tags=["db", "other"])
    def query(n: int) -> int:
        overlap.body()
        return n

    @flow
    def pipeline() -> list[int]:
        return [f.result() for f in [query.submit(n) for n in range(6)]]

    assert pipeline() == list(range(6))
    assert overlap.peak == 2
    assert backend.task_slots == {}
    assert all(r.state is S.COMPLETED for r in task_runs(backend).values())


def test_without_a_limit_the_same_tasks_overlap_further(backend: InMemoryBackend) -> None:
    overlap = Overlap(target=3)

    @task(tags=["db"])
    def query(n: int) -> int:
        overlap.body()
        return n

    @flow
    def pipeline() -> list[int]:
        return [f.result() for f in [query.submit(n) for n in range(3)]]

    assert pipeline() == [0, 1, 2]
    assert overlap.peak == 3


class CountingBackend(InMemoryBackend):
    def __init__(self, clock: FakeClock) -> None:
        super().__init__(clock)
        self.tag_reads = 0
        self.acquires: list[tuple[str, ...]] = []
        self.on_refused: Any = None

    def limited_tags(self) -> frozenset[str]:
        self.tag_reads += 1
        return super().limited_tags()

    def acquire_task_slots(self, task_run_id: str, flow_run_id: str, tags: Sequence[str], *,
                           lease_seconds: float, wait_seconds: float = 0.0) -> TaskSlotGrant:
        self.acquires.append(tuple(tags))
        grant = super().acquire_task_slots(task_run_id, flow_run_id, tags,
                                           lease_seconds=lease_seconds, wait_seconds=0.0)
        if not grant.acquired and self.on_refused is not None:
            self.on_refused()
        return grant


def run_with(memory: InMemoryBackend, clock: FakeClock, fn: Any) -> Any:
    with legato_test_harness(memory, clock=clock):
        return fn()


def test_untagged_tasks_never_ask_and_tags_without_limit_read_the_limits_once(
    clock: FakeClock,
) -> None:
    memory = CountingBackend(clock)
    memory.task_limits["gpu"] = 1

    @task
    def plain(n: int) -> int:
        return n

    @task(tags=["db"])
    def tagged(n: int) -> int:
        return n

    @flow
    def untagged_only() -> None:
        for n in range(20):
            plain(n)

    @flow
    def tagged_only() -> None:
        for n in range(20):
            tagged(n)

    run_with(memory, clock, untagged_only)
    assert memory.tag_reads == 0
    run_with(memory, clock, tagged_only)
    assert memory.tag_reads == 1
    assert memory.acquires == []


def test_only_the_limited_tags_are_asked_for_and_slots_free_between_retries(
    clock: FakeClock,
) -> None:
    memory = CountingBackend(clock)
    memory.task_limits["db"] = 1
    attempts: list[int] = []

    @task(tags=["db", "free"], retries=1)
    def flaky() -> int:
        attempts.append(len(memory.task_slots))
        if len(attempts) == 1:
            raise RuntimeError("first attempt fails")
        return 1

    @flow
    def pipeline() -> int:
        return flaky()

    assert run_with(memory, clock, pipeline) == 1
    assert attempts == [1, 1]
    assert memory.acquires == [("db",), ("db",)]
    assert memory.task_slots == {}


def test_a_task_waiting_for_a_full_limit_ends_cancelled_when_its_run_is_cancelled(
    clock: FakeClock,
) -> None:
    memory = CountingBackend(clock)
    memory.task_limits["db"] = 0  # holds every task run back
    memory.on_refused = cancel_flow_runs
    ran: list[int] = []

    @task(tags=["db"])
    def held() -> None:
        ran.append(1)

    @flow
    def pipeline() -> None:
        held.submit().wait()

    run_with(memory, clock, lambda: pipeline(return_state=True))
    assert ran == []
    (run,) = task_runs(memory).values()
    assert run.state is S.CANCELLED
