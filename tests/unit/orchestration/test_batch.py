"""Tests for legato.orchestration.batch: which parts of a write batch the state machine lets
through. Pure: no database."""

from __future__ import annotations

from datetime import UTC, datetime

from legato.core.records import StateEvent, TaskRunRow
from legato.core.states import StateType as S
from legato.orchestration.batch import BatchRefused, plan_batch

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def row(run_id: str, state: S, *, is_new: bool = True) -> TaskRunRow:
    return TaskRunRow(
        run_id,
        "flow",
        f"key-{run_id}",
        "t",
        None,
        state,
        None,
        1,
        T0,
        T0,
        None,
        None,
        None,
        None,
        None,
        is_new,
    )


def ev(
    run_id: str, frm: S | None, to: S, *, forced: bool = False, kind: str = "task"
) -> StateEvent:
    return StateEvent(run_id, kind, frm, to, T0, forced=forced)


def test_new_rows_with_legal_chains_are_inserted_and_keep_all_events() -> None:
    events = [ev("a", None, S.PENDING), ev("a", S.PENDING, S.RUNNING), ev("b", None, S.CACHED)]
    plan = plan_batch([row("a", S.RUNNING), row("b", S.CACHED)], events, {})
    assert [r.id for r in plan.inserts] == ["a", "b"]
    assert plan.updates == [] and plan.refused == {}
    assert list(plan.events) == events


def test_stored_rows_are_updated_and_validated_from_their_stored_state() -> None:
    plan = plan_batch(
        [row("a", S.COMPLETED, is_new=False)],
        [ev("a", S.RUNNING, S.COMPLETED)],
        {"a": S.RUNNING},
    )
    assert [r.id for r in plan.updates] == ["a"] and plan.inserts == []


def test_chain_leaving_a_terminal_state_is_refused_with_its_events() -> None:
    events = [ev("a", S.COMPLETED, S.RUNNING), ev("b", None, S.PENDING)]
    plan = plan_batch(
        [row("a", S.RUNNING, is_new=False), row("b", S.PENDING)], events, {"a": S.COMPLETED}
    )
    assert list(plan.refused) == ["a"]
    assert "already COMPLETED" in plan.refused["a"]
    assert [e.run_id for e in plan.events] == ["b"]
    assert plan.updates == [] and [r.id for r in plan.inserts] == ["b"]


def test_a_later_illegal_step_refuses_the_whole_chain() -> None:
    events = [
        ev("a", None, S.PENDING),
        ev("a", S.PENDING, S.SKIPPED),
        ev("a", S.SKIPPED, S.RUNNING),
    ]
    plan = plan_batch([row("a", S.RUNNING)], events, {})
    assert "SKIPPED" in plan.refused["a"] and plan.inserts == [] and list(plan.events) == []


def test_forced_events_are_not_checked() -> None:
    plan = plan_batch(
        [row("a", S.RUNNING, is_new=False)],
        [ev("a", S.FAILED, S.RUNNING, forced=True)],
        {"a": S.FAILED},
    )
    assert plan.refused == {} and [r.id for r in plan.updates] == ["a"]


def test_a_row_whose_state_does_not_follow_from_its_events_is_refused() -> None:
    plan = plan_batch([row("a", S.RUNNING)], [ev("a", None, S.SKIPPED)], {})
    assert "already SKIPPED and cannot become RUNNING" in plan.refused["a"]
    plan = plan_batch([row("b", S.RUNNING, is_new=False)], [], {"b": S.CACHED})
    assert "already CACHED" in plan.refused["b"]


def test_a_row_without_events_in_its_stored_state_is_a_plain_update() -> None:
    plan = plan_batch([row("a", S.RUNNING, is_new=False)], [], {"a": S.RUNNING})
    assert [r.id for r in plan.updates] == ["a"] and plan.refused == {}


def test_a_new_row_must_start_in_a_creatable_state() -> None:
    plan = plan_batch([row("a", S.AWAITING_RETRY)], [], {})
    assert "from nothing to AWAITING_RETRY" in plan.refused["a"]


def test_events_without_a_snapshot_are_refused() -> None:
    plan = plan_batch([], [ev("ghost", None, S.PENDING)], {})
    assert "no snapshot" in plan.refused["ghost"] and list(plan.events) == []


def test_flow_run_events_and_unknown_kinds_are_refused() -> None:
    plan = plan_batch(
        [], [ev("f", S.PENDING, S.RUNNING, kind="flow"), ev("x", None, S.PENDING, kind="dag")], {}
    )
    assert "set_flow_run_state" in plan.refused["f"]
    assert "'dag'" in plan.refused["x"]


def test_runs_refused_by_the_caller_are_left_out() -> None:
    plan = plan_batch(
        [row("a", S.PENDING)], [ev("a", None, S.PENDING)], {}, refused={"a": "no flow run."}
    )
    assert plan.inserts == [] and list(plan.events) == [] and plan.refused == {"a": "no flow run."}


def test_batch_refused_names_a_few_runs_and_counts_the_rest() -> None:
    error = BatchRefused({f"r{i}": f"task run r{i} is bad." for i in range(5)})
    message = str(error)
    assert message.startswith("5 run(s) of the write batch were not stored")
    assert "task run r0 is bad; task run r1 is bad; task run r2 is bad (and 2 more)." in message
    assert "r3" not in message and len(error.refused) == 5
