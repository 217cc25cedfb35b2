"""Claims under limits, on SQLite and PostgreSQL with a fake clock: work-queue priority and
pause, run priority, concurrency limits by tag and "*", max_active_runs, queue limits,
slots freed when a run ends or its lease expires."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from legato._clock import FakeClock
from legato.core.deployments import DeploymentSpec
from legato.core.states import StateType as S
from legato.errors import DefinitionError, NotFound, ParameterError
from legato.orchestration import limits
from legato.orchestration.deployments import create_deployment, update_deployment
from legato.orchestration.local import LocalBackend
from legato.scheduling.deployments import run_deployment
from legato.scheduling.monitor import Monitor
from legato.store.database import Database

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LEASE = 10.0


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def backend(any_db: Database, clock: FakeClock) -> LocalBackend:
    return LocalBackend(any_db, clock=clock)


def deploy(backend: LocalBackend, name: str, **fields: object) -> str:
    spec = DeploymentSpec(name=name, flow_name="etl", entrypoint="f.py:etl", **fields)  # type: ignore[arg-type]
    return create_deployment(backend.db, spec, now=backend.clock.now()).id


def make_run(backend: LocalBackend, deployment_id: str, priority: int | None = None) -> str:
    backend.clock.advance(1)  # type: ignore[attr-defined]
    now = backend.clock.now()
    return run_deployment(backend.db, deployment_id, now=now, priority=priority).id


def claim(backend: LocalBackend, queues: list[str], limit: int = 10, worker: str = "w1") -> list[str]:
    worker_id = backend.register_worker(worker, queues).id
    found = backend.claim_flow_runs(worker_id, queues, limit, lease_seconds=LEASE)
    return [c.flow_run.id for c in found]


def test_higher_priority_queues_are_claimed_first(backend: LocalBackend) -> None:
    now = backend.clock.now()
    limits.create_work_queue(backend.db, "urgent", now=now, priority=10)
    limits.create_work_queue(backend.db, "bulk", now=now, priority=-5)
    bulk = make_run(backend, deploy(backend, "b", work_queue="bulk"))
    plain = make_run(backend, deploy(backend, "p"))
    urgent = make_run(backend, deploy(backend, "u", work_queue="urgent"))
    got = [claim(backend, ["bulk", "default", "urgent"], limit=1) for _ in range(3)]
    assert got == [[urgent], [plain], [bulk]]


def test_within_a_queue_run_priority_beats_scheduled_time(backend: LocalBackend) -> None:
    low = deploy(backend, "low")
    high = deploy(backend, "high", priority=5)
    first = make_run(backend, low)
    second = make_run(backend, high)
    third = make_run(backend, low, priority=9)
    assert claim(backend, ["default"]) == [third, second, first]


def test_a_paused_queue_is_not_claimed_from_until_resumed(backend: LocalBackend) -> None:
    now = backend.clock.now()
    limits.create_work_queue(backend.db, "etl", now=now, paused=True)
    run = make_run(backend, deploy(backend, "d", work_queue="etl"))
    assert claim(backend, ["etl"]) == []
    limits.update_work_queue(backend.db, "etl", now=now, paused=False)
    assert claim(backend, ["etl"]) == [run]


def test_a_tag_limit_holds_runs_back_until_a_slot_is_free(backend: LocalBackend) -> None:
    limits.set_concurrency_limit(backend.db, "db", 2, now=backend.clock.now())
    tagged = deploy(backend, "tagged", tags=("db", "x"))
    other = deploy(backend, "other", tags=("x",))
    runs = [make_run(backend, tagged) for _ in range(4)]
    free = make_run(backend, other)
    assert claim(backend, ["default"]) == [runs[0], runs[1], free]
    assert claim(backend, ["default"]) == []
    record = limits.read_concurrency_limit(backend.db, "db", now=backend.clock.now())
    assert (record.in_use, record.limit) == (2, 2)
    assert {h.flow_run_id for h in record.holders} == {runs[0], runs[1]}
    backend.set_flow_run_state(runs[0], S.RUNNING)
    backend.set_flow_run_state(runs[0], S.COMPLETED)
    assert claim(backend, ["default"]) == [runs[2]]


def test_the_global_limit_counts_every_run(backend: LocalBackend) -> None:
    limits.set_concurrency_limit(backend.db, "*", 1, now=backend.clock.now())
    first = make_run(backend, deploy(backend, "a"))
    make_run(backend, deploy(backend, "b", tags=("y",)))
    assert claim(backend, ["default"]) == [first]
    assert claim(backend, ["default"]) == []


def test_max_active_runs_is_enforced_at_claim_time(backend: LocalBackend) -> None:
    capped = deploy(backend, "capped", max_active_runs=1)
    runs = [make_run(backend, capped) for _ in range(3)]
    other = make_run(backend, deploy(backend, "other"))
    assert claim(backend, ["default"]) == [runs[0], other]
    assert claim(backend, ["default"]) == []
    assert backend.read_flow_run(runs[1]).state is S.SCHEDULED
    backend.set_flow_run_state(runs[0], S.FAILED)
    assert claim(backend, ["default"]) == [runs[1]]


def test_a_queue_concurrency_limit_caps_its_runs(backend: LocalBackend) -> None:
    limits.create_work_queue(backend.db, "etl", now=backend.clock.now(), concurrency_limit=1)
    in_queue = deploy(backend, "d", work_queue="etl")
    runs = [make_run(backend, in_queue) for _ in range(2)]
    assert claim(backend, ["etl"]) == [runs[0]]
    assert claim(backend, ["etl"], worker="w2") == []


def test_an_expired_slot_frees_its_limit_and_the_monitor_sweeps_it(
    backend: LocalBackend, clock: FakeClock
) -> None:
    limits.set_concurrency_limit(backend.db, "db", 1, now=clock.now())
    tagged = deploy(backend, "tagged", tags=("db",))
    first, second = make_run(backend, tagged), make_run(backend, tagged)
    assert claim(backend, ["default"]) == [first]
    clock.advance(LEASE + 1)
    Monitor(backend.service).tick(clock.now())
    assert backend.read_flow_run(first).state is S.CRASHED
    record = limits.read_concurrency_limit(backend.db, "db", now=clock.now())
    assert record.holders == ()
    assert claim(backend, ["default"]) == [second]


def test_heartbeats_keep_slots_held(backend: LocalBackend, clock: FakeClock) -> None:
    limits.set_concurrency_limit(backend.db, "db", 1, now=clock.now())
    tagged = deploy(backend, "tagged", tags=("db",))
    make_run(backend, tagged)
    make_run(backend, tagged)
    worker_id = backend.register_worker("w1", ["default"]).id
    (held,) = backend.claim_flow_runs(worker_id, ["default"], 5, lease_seconds=LEASE)
    clock.advance(LEASE - 1)
    backend.heartbeat_lease(held.flow_run.id, worker_id, held.epoch, lease_seconds=LEASE)
    clock.advance(LEASE - 1)
    assert claim(backend, ["default"], worker="w2") == []


def test_a_new_limit_counts_runs_already_going(backend: LocalBackend) -> None:
    tagged = deploy(backend, "tagged", tags=("db",))
    going = make_run(backend, tagged)
    waiting = make_run(backend, tagged)
    assert claim(backend, ["default"], limit=1) == [going]
    record = limits.set_concurrency_limit(backend.db, "db", 1, now=backend.clock.now())
    assert [h.flow_run_id for h in record.holders] == [going]
    assert claim(backend, ["default"]) == []
    update_deployment(backend.db, tagged, now=backend.clock.now(), max_active_runs=5)
    limits.delete_concurrency_limit(backend.db, "db")
    assert claim(backend, ["default"]) == [waiting]


def test_lowering_max_active_runs_counts_going_runs(backend: LocalBackend) -> None:
    dep = deploy(backend, "d")
    going = make_run(backend, dep)
    waiting = make_run(backend, dep)
    assert claim(backend, ["default"], limit=1) == [going]
    update_deployment(backend.db, dep, now=backend.clock.now(), max_active_runs=1)
    assert claim(backend, ["default"]) == []
    update_deployment(backend.db, dep, now=backend.clock.now(), max_active_runs=None)
    assert claim(backend, ["default"]) == [waiting]


def test_a_limit_of_zero_holds_every_tagged_run(backend: LocalBackend) -> None:
    limits.set_concurrency_limit(backend.db, "db", 0, now=backend.clock.now())
    make_run(backend, deploy(backend, "t", tags=("db",)))
    assert claim(backend, ["default"]) == []


def test_queue_and_limit_errors_name_the_fix(backend: LocalBackend) -> None:
    now = backend.clock.now()
    with pytest.raises(DefinitionError, match="priority"):
        limits.create_work_queue(backend.db, "q", now=now, priority=10**9)
    with pytest.raises(DefinitionError, match="0 or more"):
        limits.set_concurrency_limit(backend.db, "db", -1, now=now)
    with pytest.raises(DefinitionError, match="usable name"):
        limits.create_work_queue(backend.db, "a/b", now=now)
    with pytest.raises(NotFound, match="work-queues create"):
        limits.update_work_queue(backend.db, "nope", now=now, paused=True)
    with pytest.raises(ParameterError, match="unknown fields"):
        limits.update_work_queue(backend.db, "nope", now=now, colour="red")
    with pytest.raises(NotFound, match="concurrency-limits ls"):
        limits.delete_concurrency_limit(backend.db, "db")


def test_work_queues_list_by_priority(backend: LocalBackend) -> None:
    now = backend.clock.now()
    limits.create_work_queue(backend.db, "low", now=now, priority=-1)
    limits.create_work_queue(backend.db, "high", now=now, priority=3, concurrency_limit=2)
    names = [q.name for q in limits.list_work_queues(backend.db)]
    assert names == ["high", "low"]
    assert limits.read_work_queue(backend.db, "high").concurrency_limit == 2
    later = now + timedelta(seconds=5)
    changed = limits.update_work_queue(backend.db, "high", now=later, concurrency_limit=None)
    assert (changed.concurrency_limit, changed.updated) == (None, later)


def test_resuming_a_queue_wakes_a_waiting_claim(backend: LocalBackend) -> None:
    limits.create_work_queue(backend.db, "etl", now=backend.clock.now(), paused=True)
    make_run(backend, deploy(backend, "d", work_queue="etl"))
    seen = backend.db.doorbell.generation
    limits.update_work_queue(backend.db, "etl", now=backend.clock.now(), paused=False)
    assert backend.db.doorbell.generation > seen
