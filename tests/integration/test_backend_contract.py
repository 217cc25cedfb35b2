"""The Backend contract: behaviour every Backend must show, run against LocalBackend on a
SQLite file and on PostgreSQL. Another backend joins by subclassing BackendContract."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from legato._clock import FakeClock
from legato.core.backend import Backend
from legato.core.ids import new_id
from legato.core.records import (
    Edge,
    FlowRunRecord,
    LogRow,
    NewFlowRun,
    ResultRef,
    StateEvent,
    TaskRunRow,
    WriteBatch,
)
from legato.core.states import StateType as S
from legato.errors import BackendUnavailable, Conflict, NotFound, StateTransitionError
from legato.orchestration import limits
from legato.orchestration.keyring import Keyring
from legato.orchestration.local import LocalBackend
from legato.store.database import Database

from .event_contract import EventContract
from .lease_contract import LeaseContract
from .pause_contract import PauseContract
from .task_slot_contract import SetLimit, TaskSlotContract
from .vault_contract import CONTRACT_KEY, VaultContract

T0 = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)


def new_run(
    flow_name: str = "etl",
    *,
    created: datetime = T0,
    state: S = S.PENDING,
    **extra: object,
) -> NewFlowRun:
    return NewFlowRun(
        id=new_id(),
        flow_name=flow_name,
        name="brave-otter",
        parameters={"n": 1, "nested": {"xs": [1, 2.5, "three", None]}},
        state=state,
        created=created,
        **extra,  # type: ignore[arg-type]
    )


def task_row(
    flow_run_id: str,
    key: str,
    state: S = S.COMPLETED,
    *,
    is_new: bool = True,
    created: datetime = T0,
    result: ResultRef | None = None,
    run_id: str | None = None,
) -> TaskRunRow:
    return TaskRunRow(
        id=run_id or new_id(),
        flow_run_id=flow_run_id,
        task_key=key,
        task_name=key.split("-")[0],
        map_index=None,
        state=state,
        state_message=None,
        attempts=1 if state is not S.PENDING else 0,
        created=created,
        updated=created,
        start_time=created if state is not S.PENDING else None,
        end_time=created if state in (S.COMPLETED, S.FAILED) else None,
        result=result,
        cache_key=None,
        child_flow_run_id=None,
        is_new=is_new,
    )


def chain(run_id: str, *states: S, at: datetime = T0) -> list[StateEvent]:
    """Events walking a task run through `states`, starting from nothing."""
    previous: S | None = None
    events = []
    for state in states:
        events.append(StateEvent(run_id, "task", previous, state, at))
        previous = state
    return events


def completed_task(flow_run_id: str, key: str, **kw: object) -> tuple[TaskRunRow, list[StateEvent]]:
    row = task_row(flow_run_id, key, **kw)  # type: ignore[arg-type]
    return row, chain(row.id, S.PENDING, S.RUNNING, S.COMPLETED, at=row.created)


class BackendContract(LeaseContract, PauseContract, EventContract, VaultContract,
                      TaskSlotContract):
    """Tests every Backend must pass; subclasses provide the `backend` fixture."""

    @pytest.fixture
    def clock(self) -> FakeClock:
        return FakeClock(T0 + timedelta(hours=1))

    @pytest.fixture
    def backend(self, clock: FakeClock) -> Iterator[Backend]:
        raise NotImplementedError("subclasses provide a backend")

    @pytest.fixture
    def set_limit(self, backend: Backend, clock: FakeClock) -> SetLimit:
        assert isinstance(backend, LocalBackend)
        return lambda tag, limit: limits.set_concurrency_limit(backend.db, tag, limit,
                                                               now=clock.now())

    @pytest.fixture
    def flow_run(self, backend: Backend) -> FlowRunRecord:
        return backend.create_flow_run(new_run())

    # -- flow versions ----------------------------------------------------------------
    def test_backend_satisfies_the_protocol(self, backend: Backend) -> None:
        assert isinstance(backend, Backend)

    def test_register_flow_version_is_idempotent_per_flow_and_hash(self, backend: Backend) -> None:
        first = backend.register_flow_version("etl", "def etl(): ...", "h1", "etl.py:etl")
        again = backend.register_flow_version("etl", "def etl(): ...", "h1", "etl.py:etl")
        changed = backend.register_flow_version("etl", "def etl(): pass", "h2", "etl.py:etl")
        other_flow = backend.register_flow_version("load", "def etl(): ...", "h1", None)
        assert first == again
        assert len({first, changed, other_flow}) == 3

    def test_read_flow_version_returns_what_was_registered(
        self, backend: Backend, clock: FakeClock
    ) -> None:
        version_id = backend.register_flow_version("etl", "source text\n", "abc", "f.py:etl")
        version = backend.read_flow_version(version_id)
        assert (version.id, version.flow_name, version.source_hash) == (version_id, "etl", "abc")
        assert (version.source, version.entrypoint) == ("source text\n", "f.py:etl")
        assert version.created == clock.now()
        assert version.created.tzinfo is not None

    def test_read_unknown_flow_version_raises_not_found(self, backend: Backend) -> None:
        with pytest.raises(NotFound, match="flow version"):
            backend.read_flow_version(new_id())

    def test_concurrent_registration_of_one_version_yields_one_id(self, backend: Backend) -> None:
        barrier = threading.Barrier(6)
        ids: list[str] = []
        errors: list[BaseException] = []

        def register() -> None:
            try:
                barrier.wait()
                ids.append(backend.register_flow_version("racy", "src", "same-hash", None))
            except BaseException as error:
                errors.append(error)

        threads = [threading.Thread(target=register) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert len(ids) == 6 and len(set(ids)) == 1

    # -- creating and reading flow runs ---------------------------------------------
    def test_create_flow_run_round_trips_every_field(self, backend: Backend) -> None:
        version_id = backend.register_flow_version("etl", "src", "h", "etl.py:etl")
        parent = backend.create_flow_run(new_run("parent"))
        new = new_run(
            flow_version_id=version_id,
            entrypoint="etl.py:etl",
            tags=("nightly", "team-a"),
            parent_flow_run_id=parent.id,
            parent_task_run_id=new_id(),
            state_message="queued by test",
        )
        created = backend.create_flow_run(new)
        stored = backend.read_flow_run(new.id)
        assert stored == created
        assert stored.parameters == {"n": 1, "nested": {"xs": [1, 2.5, "three", None]}}
        assert stored.tags == ("nightly", "team-a")
        assert (stored.flow_name, stored.state, stored.state_message) == (
            "etl",
            S.PENDING,
            "queued by test",
        )
        assert (stored.created, stored.updated) == (T0, T0)
        assert stored.created.utcoffset() == timedelta(0)
        assert (stored.start_time, stored.end_time, stored.run_count, stored.result) == (
            None,
            None,
            0,
            None,
        )
        assert (stored.flow_version_id, stored.parent_flow_run_id) == (version_id, parent.id)

    def test_create_flow_run_records_a_first_state_event(self, backend: Backend) -> None:
        run = backend.create_flow_run(new_run(state=S.SCHEDULED))
        [event] = backend.read_state_events(run.id)
        assert (event.run_kind, event.from_state, event.to_state, event.forced) == (
            "flow",
            None,
            S.SCHEDULED,
            False,
        )
        assert event.timestamp == T0

    def test_creating_a_flow_run_in_running_counts_the_attempt(self, backend: Backend) -> None:
        run = backend.create_flow_run(new_run(state=S.RUNNING))
        assert (run.run_count, run.start_time) == (1, T0)
        assert backend.read_flow_run(run.id) == run

    def test_timestamps_in_other_zones_come_back_as_the_same_instant_in_utc(
        self, backend: Backend
    ) -> None:
        plus_two = T0.astimezone(timezone(timedelta(hours=2)))
        run = backend.create_flow_run(new_run(created=plus_two))
        stored = backend.read_flow_run(run.id)
        assert stored.created == T0
        assert stored.created.utcoffset() == timedelta(0)

    def test_duplicate_flow_run_id_is_a_conflict_and_keeps_the_original(
        self, backend: Backend
    ) -> None:
        original = backend.create_flow_run(new_run())
        with pytest.raises(Conflict, match=original.id):
            backend.create_flow_run(replace(new_run("other"), id=original.id))
        assert backend.read_flow_run(original.id) == original
        assert len(backend.read_state_events(original.id)) == 1

    def test_flow_run_naming_an_unknown_version_is_not_found(self, backend: Backend) -> None:
        new = new_run(flow_version_id=new_id())
        with pytest.raises(NotFound, match="flow version"):
            backend.create_flow_run(new)
        with pytest.raises(NotFound):
            backend.read_flow_run(new.id)

    def test_read_unknown_flow_run_raises_not_found(self, backend: Backend) -> None:
        with pytest.raises(NotFound, match="flow run"):
            backend.read_flow_run(new_id())

    # -- listing --------------------------------------------------------------------
    def test_list_flow_runs_is_newest_first_and_paginates(self, backend: Backend) -> None:
        runs = [
            backend.create_flow_run(new_run(created=T0 + timedelta(seconds=i))) for i in range(5)
        ]
        newest_first = [r.id for r in reversed(runs)]
        assert [r.id for r in backend.list_flow_runs()] == newest_first
        assert [r.id for r in backend.list_flow_runs(limit=2)] == newest_first[:2]
        assert [r.id for r in backend.list_flow_runs(limit=2, offset=2)] == newest_first[2:4]
        assert backend.list_flow_runs(offset=5) == []

    def test_list_flow_runs_filters_by_flow_state_and_parent(self, backend: Backend) -> None:
        parent = backend.create_flow_run(new_run("outer"))
        child = backend.create_flow_run(
            new_run("inner", created=T0 + timedelta(seconds=1), parent_flow_run_id=parent.id)
        )
        scheduled = backend.create_flow_run(new_run("inner", state=S.SCHEDULED))
        assert [r.id for r in backend.list_flow_runs(flow_name="outer")] == [parent.id]
        assert [r.id for r in backend.list_flow_runs(flow_name="inner")] == [child.id, scheduled.id]
        assert [r.id for r in backend.list_flow_runs(states=[S.SCHEDULED])] == [scheduled.id]
        assert [r.id for r in backend.list_flow_runs(parent_flow_run_id=parent.id)] == [child.id]
        assert backend.list_flow_runs(flow_name="inner", states=[S.RUNNING]) == []
        assert backend.list_flow_runs(flow_name="missing") == []

    # -- flow-run transitions -------------------------------------------------------
    def test_running_sets_start_time_and_counts_each_attempt(
        self, backend: Backend, clock: FakeClock, flow_run: FlowRunRecord
    ) -> None:
        first = backend.set_flow_run_state(flow_run.id, S.RUNNING)
        started = clock.now()
        clock.advance(5)
        backend.set_flow_run_state(flow_run.id, S.AWAITING_RETRY, message="boom")
        clock.advance(5)
        again = backend.set_flow_run_state(flow_run.id, S.RUNNING)
        assert (first.run_count, first.start_time, first.end_time) == (1, started, None)
        assert (again.run_count, again.start_time, again.updated) == (2, started, clock.now())
        assert backend.read_flow_run(flow_run.id) == again

    def test_terminal_state_sets_end_time_and_stores_the_result(
        self, backend: Backend, clock: FakeClock, flow_run: FlowRunRecord
    ) -> None:
        backend.set_flow_run_state(flow_run.id, S.RUNNING)
        clock.advance(3)
        ref = ResultRef("json", "inline", data=b'{"rows": 3}')
        done = backend.set_flow_run_state(flow_run.id, S.COMPLETED, message="ok", result=ref)
        stored = backend.read_flow_run(flow_run.id)
        assert stored == done
        assert (stored.state, stored.state_message, stored.end_time) == (
            S.COMPLETED,
            "ok",
            clock.now(),
        )
        assert stored.result == ref

    def test_result_in_the_result_store_round_trips_as_a_path(
        self, backend: Backend, flow_run: FlowRunRecord
    ) -> None:
        backend.set_flow_run_state(flow_run.id, S.RUNNING)
        ref = ResultRef("pickle", "store", path="results/ab/cd.pkl")
        backend.set_flow_run_state(flow_run.id, S.FAILED, result=ref)
        assert backend.read_flow_run(flow_run.id).result == ref

    def test_each_transition_is_recorded_as_a_state_event(
        self, backend: Backend, clock: FakeClock, flow_run: FlowRunRecord
    ) -> None:
        backend.set_flow_run_state(flow_run.id, S.RUNNING)
        clock.advance(1)
        backend.set_flow_run_state(flow_run.id, S.FAILED, message="bad input")
        events = backend.read_state_events(flow_run.id)
        assert [(e.from_state, e.to_state) for e in events] == [
            (None, S.PENDING),
            (S.PENDING, S.RUNNING),
            (S.RUNNING, S.FAILED),
        ]
        assert events[-1].message == "bad input" and events[-1].timestamp == clock.now()
        assert [e.id for e in events] == sorted(e.id for e in events)

    def test_illegal_transition_is_refused_and_changes_nothing(
        self, backend: Backend, flow_run: FlowRunRecord
    ) -> None:
        backend.set_flow_run_state(flow_run.id, S.RUNNING)
        done = backend.set_flow_run_state(flow_run.id, S.COMPLETED)
        with pytest.raises(StateTransitionError, match=f"flow run {flow_run.id}.*COMPLETED"):
            backend.set_flow_run_state(flow_run.id, S.RUNNING)
        assert backend.read_flow_run(flow_run.id) == done
        assert len(backend.read_state_events(flow_run.id)) == 3

    def test_forced_transition_leaves_a_terminal_state_and_is_marked_forced(
        self, backend: Backend, flow_run: FlowRunRecord
    ) -> None:
        backend.set_flow_run_state(flow_run.id, S.RUNNING)
        backend.set_flow_run_state(flow_run.id, S.COMPLETED)
        marked = backend.set_flow_run_state(flow_run.id, S.FAILED, message="marked", force=True)
        assert marked.state is S.FAILED
        assert backend.read_state_events(flow_run.id)[-1].forced is True

    def test_set_state_of_unknown_flow_run_is_not_found(self, backend: Backend) -> None:
        with pytest.raises(NotFound, match="flow run"):
            backend.set_flow_run_state(new_id(), S.RUNNING)

    @pytest.mark.parametrize("ending", [S.FAILED, S.CRASHED, S.CANCELLED])
    def test_retry_moves_a_finished_run_back_to_scheduled(
        self, backend: Backend, flow_run: FlowRunRecord, ending: S
    ) -> None:
        backend.set_flow_run_state(flow_run.id, S.RUNNING)
        backend.set_flow_run_state(flow_run.id, ending)
        retried = backend.retry_flow_run(flow_run.id)
        assert (retried.state, retried.state_message, retried.end_time) == (
            S.SCHEDULED,
            "retry requested",
            None,
        )
        last = backend.read_state_events(flow_run.id)[-1]
        assert (last.from_state, last.to_state, last.forced) == (ending, S.SCHEDULED, True)
        assert backend.read_flow_run(flow_run.id) == retried

    @pytest.mark.parametrize("state", [S.PENDING, S.RUNNING, S.COMPLETED])
    def test_retry_of_a_run_that_did_not_fail_is_a_conflict(
        self, backend: Backend, state: S
    ) -> None:
        run = backend.create_flow_run(new_run(state=state))
        with pytest.raises(Conflict, match=f"{run.id} is {state.value}"):
            backend.retry_flow_run(run.id)
        assert backend.read_flow_run(run.id).state is state

    def test_retry_of_unknown_flow_run_is_not_found(self, backend: Backend) -> None:
        with pytest.raises(NotFound):
            backend.retry_flow_run(new_id())

    # -- write batches --------------------------------------------------------------
    def test_write_stores_task_runs_events_logs_and_edges(
        self, backend: Backend, flow_run: FlowRunRecord
    ) -> None:
        ref = ResultRef("json", "inline", data=b"[1, 2]")
        a, a_events = completed_task(flow_run.id, "extract-0", result=ref)
        b, b_events = completed_task(flow_run.id, "load-0", created=T0 + timedelta(seconds=1))
        log = LogRow(flow_run.id, a.id, 20, "legato.task", "extracted 2 rows", T0)
        backend.write(
            WriteBatch(
                task_runs=[b, a],
                events=a_events + b_events,
                logs=[log],
                edges=[Edge(flow_run.id, a.id, b.id)],
            )
        )
        stored = backend.read_task_runs(flow_run.id)
        assert [t.id for t in stored] == [a.id, b.id]
        first = stored[0]
        assert (first.task_key, first.task_name, first.state, first.attempts) == (
            "extract-0",
            "extract",
            S.COMPLETED,
            1,
        )
        assert (first.created, first.start_time, first.end_time, first.result) == (T0, T0, T0, ref)
        assert backend.count_task_runs(flow_run.id) == {S.COMPLETED: 2}
        assert [e.to_state for e in backend.read_state_events(a.id)] == [
            S.PENDING,
            S.RUNNING,
            S.COMPLETED,
        ]
        [stored_log] = backend.read_logs(flow_run.id)
        assert (stored_log.task_run_id, stored_log.level, stored_log.message) == (
            a.id,
            20,
            "extracted 2 rows",
        )
        assert stored_log.timestamp == T0
        assert backend.read_edges(flow_run.id) == [(a.id, b.id)]

    def test_write_updates_stored_task_runs(
        self, backend: Backend, flow_run: FlowRunRecord
    ) -> None:
        row = task_row(flow_run.id, "t-0", S.RUNNING)
        backend.write(WriteBatch([row], chain(row.id, S.PENDING, S.RUNNING)))
        later = T0 + timedelta(seconds=9)
        done = replace(
            row,
            state=S.COMPLETED,
            is_new=False,
            updated=later,
            end_time=later,
            attempts=2,
            state_message="fine",
            cache_key="ck",
            result=ResultRef("pickle", "store", path="r/1"),
        )
        backend.write(
            WriteBatch([done], [StateEvent(row.id, "task", S.RUNNING, S.COMPLETED, later)])
        )
        [stored] = backend.read_task_runs(flow_run.id)
        assert (stored.state, stored.attempts, stored.state_message, stored.cache_key) == (
            S.COMPLETED,
            2,
            "fine",
            "ck",
        )
        assert (stored.updated, stored.end_time, stored.created) == (later, later, T0)
        assert stored.result == ResultRef("pickle", "store", path="r/1")
        assert len(backend.read_state_events(row.id)) == 3

    def test_refused_task_run_is_not_written_but_the_rest_of_the_batch_is(
        self, backend: Backend, flow_run: FlowRunRecord
    ) -> None:
        done, done_events = completed_task(flow_run.id, "a-0")
        backend.write(WriteBatch([done], done_events))
        rerun = replace(done, state=S.RUNNING, is_new=False, attempts=5)
        good, good_events = completed_task(flow_run.id, "b-0")
        log = LogRow(flow_run.id, None, 20, "x", "still logged", T0)
        with pytest.raises(StateTransitionError, match=f"task run {done.id}.*COMPLETED"):
            backend.write(
                WriteBatch(
                    [rerun, good],
                    [StateEvent(done.id, "task", S.COMPLETED, S.RUNNING, T0), *good_events],
                    logs=[log],
                )
            )
        stored = {t.id: t for t in backend.read_task_runs(flow_run.id)}
        assert (stored[done.id].state, stored[done.id].attempts) == (S.COMPLETED, 1)
        assert stored[good.id].state is S.COMPLETED
        assert len(backend.read_state_events(done.id)) == 3
        assert len(backend.read_state_events(good.id)) == 3
        assert [entry.message for entry in backend.read_logs(flow_run.id)] == ["still logged"]

    def test_refusal_checks_the_whole_chain_in_order(
        self, backend: Backend, flow_run: FlowRunRecord
    ) -> None:
        row = task_row(flow_run.id, "t-0", S.COMPLETED)
        bad_chain = chain(row.id, S.PENDING, S.COMPLETED, S.RUNNING, S.COMPLETED)
        with pytest.raises(StateTransitionError, match=row.id):
            backend.write(WriteBatch([row], bad_chain))
        assert backend.read_task_runs(flow_run.id) == []
        assert backend.read_state_events(row.id) == []

    def test_forced_events_skip_the_state_machine(
        self, backend: Backend, flow_run: FlowRunRecord
    ) -> None:
        row, events = completed_task(flow_run.id, "t-0")
        backend.write(WriteBatch([row], events))
        again = replace(row, state=S.RUNNING, is_new=False)
        forced = StateEvent(row.id, "task", S.COMPLETED, S.RUNNING, T0, "rerun", forced=True)
        backend.write(WriteBatch([again], [forced]))
        assert backend.read_task_runs(flow_run.id)[0].state is S.RUNNING
        assert backend.read_state_events(row.id)[-1].forced is True

    def test_task_run_already_stored_cannot_be_created_again(
        self, backend: Backend, flow_run: FlowRunRecord
    ) -> None:
        row, events = completed_task(flow_run.id, "t-0")
        backend.write(WriteBatch([row], events))
        other, other_events = completed_task(flow_run.id, "u-0")
        with pytest.raises(StateTransitionError, match=row.id):
            backend.write(WriteBatch([row, other], events + other_events))
        assert len(backend.read_state_events(row.id)) == 3
        assert backend.count_task_runs(flow_run.id) == {S.COMPLETED: 2}

    def test_task_run_of_a_missing_flow_run_is_refused_alone(
        self, backend: Backend, flow_run: FlowRunRecord
    ) -> None:
        orphan, orphan_events = completed_task(new_id(), "t-0")
        good, good_events = completed_task(flow_run.id, "t-0")
        with pytest.raises(StateTransitionError, match=orphan.id):
            backend.write(WriteBatch([orphan, good], orphan_events + good_events))
        assert [t.id for t in backend.read_task_runs(flow_run.id)] == [good.id]
        assert backend.read_state_events(orphan.id) == []

    def test_reused_task_key_is_refused(self, backend: Backend, flow_run: FlowRunRecord) -> None:
        first, first_events = completed_task(flow_run.id, "t-0")
        backend.write(WriteBatch([first], first_events))
        clash, clash_events = completed_task(flow_run.id, "t-0")
        with pytest.raises(StateTransitionError, match="t-0"):
            backend.write(WriteBatch([clash], clash_events))
        assert [t.id for t in backend.read_task_runs(flow_run.id)] == [first.id]

    def test_snapshot_not_marked_new_but_not_stored_is_inserted(
        self, backend: Backend, flow_run: FlowRunRecord
    ) -> None:
        row, events = completed_task(flow_run.id, "t-0", is_new=False)
        backend.write(WriteBatch([row], events))
        assert [t.id for t in backend.read_task_runs(flow_run.id)] == [row.id]

    def test_flow_run_events_cannot_sneak_in_through_a_batch(
        self, backend: Backend, flow_run: FlowRunRecord
    ) -> None:
        sneaky = StateEvent(flow_run.id, "flow", S.PENDING, S.COMPLETED, T0)
        with pytest.raises(StateTransitionError, match="set_flow_run_state"):
            backend.write(WriteBatch(events=[sneaky]))
        assert backend.read_flow_run(flow_run.id).state is S.PENDING
        assert len(backend.read_state_events(flow_run.id)) == 1

    def test_duplicate_edges_are_ignored(self, backend: Backend, flow_run: FlowRunRecord) -> None:
        a, b = new_id(), new_id()
        edge = Edge(flow_run.id, a, b)
        backend.write(WriteBatch(edges=[edge, edge]))
        backend.write(WriteBatch(edges=[edge, Edge(flow_run.id, b, a)]))
        assert sorted(backend.read_edges(flow_run.id)) == sorted([(a, b), (b, a)])

    def test_empty_batch_writes_nothing(self, backend: Backend, flow_run: FlowRunRecord) -> None:
        backend.write(WriteBatch())
        assert backend.read_task_runs(flow_run.id) == []

    def test_large_batch_is_written_completely(
        self, backend: Backend, flow_run: FlowRunRecord
    ) -> None:
        # Larger than one IN-list chunk, so chunked reads and bulk paths are exercised.
        rows = [task_row(flow_run.id, f"t-{i}", S.RUNNING) for i in range(2500)]
        events = [e for row in rows for e in chain(row.id, S.PENDING, S.RUNNING)]
        backend.write(WriteBatch(rows, events))
        finished = [replace(r, state=S.COMPLETED, is_new=False) for r in rows]
        done_events = [StateEvent(r.id, "task", S.RUNNING, S.COMPLETED, T0) for r in rows]
        backend.write(WriteBatch(finished, done_events))
        assert backend.count_task_runs(flow_run.id) == {S.COMPLETED: 2500}
        assert len(backend.read_state_events(rows[-1].id)) == 3

    # -- logs -----------------------------------------------------------------------
    def test_read_logs_pages_with_a_cursor_and_filters_by_task_run(
        self, backend: Backend, flow_run: FlowRunRecord
    ) -> None:
        task_id = new_id()
        lines = [
            LogRow(flow_run.id, task_id if i % 2 else None, 20, "l", f"line {i}", T0)
            for i in range(7)
        ]
        backend.write(WriteBatch(logs=lines))
        first = backend.read_logs(flow_run.id, limit=3)
        rest = backend.read_logs(flow_run.id, after_id=first[-1].id)
        assert [r.message for r in first + rest] == [f"line {i}" for i in range(7)]
        only_task = backend.read_logs(flow_run.id, task_run_id=task_id)
        assert [r.message for r in only_task] == ["line 1", "line 3", "line 5"]
        assert backend.read_logs(new_id()) == []

    # -- cache ----------------------------------------------------------------------
    def test_cache_returns_results_until_they_expire(self, backend: Backend) -> None:
        ref = ResultRef("json", "inline", data=b"42")
        expires = T0 + timedelta(minutes=10)
        assert backend.read_cache("k", T0) is None
        backend.write_cache("k", ref, expires)
        assert backend.read_cache("k", T0) == ref
        assert backend.read_cache("k", expires - timedelta(microseconds=1)) == ref
        assert backend.read_cache("k", expires) is None

    def test_write_cache_replaces_the_previous_entry(self, backend: Backend) -> None:
        backend.write_cache("k", ResultRef("json", "inline", data=b"1"), T0)
        newer = ResultRef("pickle", "store", path="cache/k.pkl")
        backend.write_cache("k", newer, None)
        assert backend.read_cache("k", T0 + timedelta(days=365)) == newer

    # -- concurrency and lifecycle --------------------------------------------------
    def test_one_writer_and_many_readers_and_creators_run_together(
        self, backend: Backend, flow_run: FlowRunRecord
    ) -> None:
        errors: list[BaseException] = []
        writing_done = threading.Event()

        def guard(body: object) -> threading.Thread:
            def run() -> None:
                try:
                    body()  # type: ignore[operator]
                except BaseException as error:
                    errors.append(error)
                    writing_done.set()

            return threading.Thread(target=run)

        def writer() -> None:
            try:
                for batch in range(30):
                    rows = [task_row(flow_run.id, f"t-{batch}-{i}", S.RUNNING) for i in range(50)]
                    events = [e for r in rows for e in chain(r.id, S.PENDING, S.RUNNING)]
                    backend.write(WriteBatch(rows, events))
            finally:
                writing_done.set()

        def reader() -> None:
            reads = 0
            while not writing_done.is_set() or reads == 0:
                backend.read_task_runs(flow_run.id)
                backend.count_task_runs(flow_run.id)
                backend.list_flow_runs(limit=5)
                reads += 1

        def creator() -> None:
            for _ in range(20):
                backend.create_flow_run(new_run("side"))

        threads = [guard(writer), guard(creator), guard(creator)] + [
            guard(reader) for _ in range(3)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert backend.count_task_runs(flow_run.id) == {S.RUNNING: 1500}
        assert len(backend.list_flow_runs(flow_name="side", limit=100)) == 40

    def test_closed_backend_refuses_calls(self, backend: Backend) -> None:
        backend.close()
        with pytest.raises(BackendUnavailable, match="closed"):
            backend.list_flow_runs()


class TestSQLiteBackend(BackendContract):
    @pytest.fixture
    def backend(self, sqlite_url: str, clock: FakeClock) -> Iterator[Backend]:
        backend = LocalBackend(Database(sqlite_url), clock=clock,
                               keyring=Keyring([CONTRACT_KEY]))
        yield backend
        backend.close()


@pytest.mark.postgres
class TestPostgresBackend(BackendContract):
    @pytest.fixture
    def backend(self, postgres_url: str, clock: FakeClock) -> Iterator[Backend]:
        backend = LocalBackend(Database(postgres_url), clock=clock,
                               keyring=Keyring([CONTRACT_KEY]))
        yield backend
        backend.close()
