"""One task run's lifecycle: upstream failures, retries, caching, Luigi-style outputs,
hooks and timeouts."""

from __future__ import annotations

import asyncio
import os
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from legato import State, Task, allow_failure, flow, task
from legato.core.states import StateType
from legato.errors import TaskTimeoutError, UpstreamFailed
from legato.tasks import exponential_backoff, task_input_hash
from legato.testing import FakeClock, InMemoryBackend, legato_test_harness

from .support import history, only_flow_run, task_runs

S = StateType


@task
def fail(message: str) -> int:
    raise ValueError(message)


# -- upstream failures ------------------------------------------------------------------


def test_failed_upstream_skips_dependants_without_running_them(backend: InMemoryBackend) -> None:
    ran: list[int] = []

    @task
    def use(x: int) -> int:
        ran.append(x)
        return x

    @flow
    def pipeline() -> None:
        bad = fail.submit("upstream broke")
        use.submit(bad)
        use.submit([1, {"nested": bad}])

    state = pipeline(return_state=True)
    assert state.is_failed()
    assert ran == []
    runs = task_runs(backend)
    assert runs["fail-0"].state is S.FAILED
    for key in ("use-0", "use-1"):
        assert runs[key].state is S.SKIPPED
        assert runs[key].state_message == "not run: upstream task fail-0 ended FAILED"
        assert runs[key].attempts == 0


def test_skipped_dependant_raises_upstream_failed_naming_both_tasks(
    backend: InMemoryBackend,
) -> None:
    errors: list[Any] = []

    @task
    def use(x: int) -> int:
        return x

    @flow
    def pipeline() -> None:
        state = use.submit(fail.submit("nope"), return_state=True)
        errors.append(state.result(raise_on_failure=False))

    pipeline(return_state=True)
    (error,) = errors
    assert isinstance(error, UpstreamFailed)
    assert "use-0" in str(error) and "fail-0" in str(error)
    assert "allow_failure()" in str(error)


def test_skips_cascade_down_a_chain(backend: InMemoryBackend) -> None:
    @task
    def step(x: int) -> int:
        return x

    @flow
    def pipeline() -> None:
        step.submit(step.submit(fail.submit("root")))

    pipeline(return_state=True)
    runs = task_runs(backend)
    assert runs["step-0"].state is S.SKIPPED
    assert runs["step-1"].state is S.SKIPPED
    assert runs["step-1"].state_message == "not run: upstream task step-0 ended SKIPPED"


def test_allow_failure_runs_the_dependant_with_the_exception(backend: InMemoryBackend) -> None:
    received: list[Any] = []

    @task
    def cleanup(result: Any) -> str:
        received.append(result)
        return "cleaned"

    @flow
    def pipeline() -> str:
        bad = fail.submit("upstream broke")
        return cleanup.submit(allow_failure(bad)).result()

    state = pipeline(return_state=True)
    assert state.result() == "cleaned"
    (value,) = received
    assert isinstance(value, ValueError) and str(value) == "upstream broke"
    # the failure was allowed, so it does not fail the flow
    assert state.is_completed()
    assert only_flow_run(backend).state is S.COMPLETED


def test_flow_with_an_unobserved_failed_task_ends_failed(backend: InMemoryBackend) -> None:
    @flow
    def pipeline() -> str:
        fail.submit("nobody looked")
        return "returned normally"

    state = pipeline(return_state=True)
    assert state.is_failed()
    assert "fail-0" in (state.message or "") and "nobody looked" in (state.message or "")
    assert isinstance(state.result(raise_on_failure=False), ValueError)
    run = only_flow_run(backend)
    assert run.state is S.FAILED
    with pytest.raises(ValueError, match="nobody looked"):
        pipeline()


def test_flow_that_inspected_the_failed_state_ends_completed(backend: InMemoryBackend) -> None:
    @flow
    def pipeline() -> str:
        future = fail.submit("seen")
        future.wait()
        return "recovered" if future.state.is_failed() else "?"

    assert pipeline() == "recovered"
    assert only_flow_run(backend).state is S.COMPLETED
    assert task_runs(backend)["fail-0"].state is S.FAILED


def test_failed_task_records_message_and_failed_state(backend: InMemoryBackend) -> None:
    @flow
    def pipeline() -> None:
        fail("kaput")

    state = pipeline(return_state=True)
    assert state.is_failed()
    record = task_runs(backend)["fail-0"]
    assert record.state is S.FAILED
    assert record.state_message == "ValueError: kaput"
    assert history(backend, record.id) == [S.RUNNING, S.FAILED]


# -- retries ----------------------------------------------------------------------------


def test_retries_give_at_most_three_attempts(backend: InMemoryBackend) -> None:
    calls: list[int] = []

    @task(retries=2)
    def always_fails() -> None:
        calls.append(1)
        raise RuntimeError("again")

    @flow
    def pipeline() -> None:
        always_fails()

    assert pipeline(return_state=True).is_failed()
    assert len(calls) == 3
    record = task_runs(backend)["always_fails-0"]
    assert record.attempts == 3
    assert history(backend, record.id) == [
        S.RUNNING,
        S.AWAITING_RETRY,
        S.RUNNING,
        S.AWAITING_RETRY,
        S.RUNNING,
        S.FAILED,
    ]


def test_retry_succeeds_on_a_later_attempt(backend: InMemoryBackend) -> None:
    calls: list[int] = []

    @task(retries=3)
    def flaky() -> str:
        calls.append(1)
        if len(calls) < 2:
            raise ConnectionError("blip")
        return "ok"

    @flow
    def pipeline() -> str:
        return flaky()

    assert pipeline() == "ok"
    record = task_runs(backend)["flaky-0"]
    assert (record.state, record.attempts) == (S.COMPLETED, 2)
    assert history(backend, record.id).count(S.AWAITING_RETRY) == 1


def test_retry_waits_for_each_listed_delay(backend: InMemoryBackend, clock: FakeClock) -> None:
    @task(retries=2, retry_delay_seconds=[1, 5])
    def always_fails() -> None:
        raise RuntimeError("again")

    @flow
    def pipeline() -> None:
        always_fails()

    pipeline(return_state=True)
    assert clock.sleeps == [1.0, 5.0]
    events = backend.read_state_events(task_runs(backend)["always_fails-0"].id)
    waits = [e.message for e in events if e.to_state is S.AWAITING_RETRY]
    assert waits == [
        "attempt 1 failed (RuntimeError: again); retrying in 1 s",
        "attempt 2 failed (RuntimeError: again); retrying in 5 s",
    ]


def test_retry_without_delay_does_not_sleep(backend: InMemoryBackend, clock: FakeClock) -> None:
    @task(retries=1)
    def always_fails() -> None:
        raise RuntimeError("again")

    @flow
    def pipeline() -> None:
        always_fails.submit()

    pipeline(return_state=True)
    assert clock.sleeps == []


def test_retry_condition_returning_false_stops_retrying(backend: InMemoryBackend) -> None:
    calls: list[str] = []
    asked: list[tuple[str, int, str]] = []

    def only_on_connection_errors(task_: Any, run: Any, state: State) -> bool:
        asked.append(
            (task_.name, run.attempts, type(state.result(raise_on_failure=False)).__name__)
        )
        return isinstance(state.result(raise_on_failure=False), ConnectionError)

    @task(retries=5, retry_condition_fn=only_on_connection_errors)
    def fragile() -> None:
        calls.append("call")
        if len(calls) == 1:
            raise ConnectionError("retry me")
        raise KeyError("do not retry me")

    @flow
    def pipeline() -> None:
        fragile()

    pipeline(return_state=True)
    assert len(calls) == 2
    assert asked == [("fragile", 1, "ConnectionError"), ("fragile", 2, "KeyError")]
    record = task_runs(backend)["fragile-0"]
    assert (record.state, record.attempts) == (S.FAILED, 2)


def test_raising_retry_condition_means_no_retry(backend: InMemoryBackend) -> None:
    calls: list[int] = []

    def broken(*_: Any) -> bool:
        raise RuntimeError("condition bug")

    @task(retries=3, retry_condition_fn=broken)
    def fragile() -> None:
        calls.append(1)
        raise ValueError("x")

    @flow
    def pipeline() -> None:
        fragile()

    pipeline(return_state=True)
    assert len(calls) == 1


# -- caching ----------------------------------------------------------------------------


def _cached_task(calls: list[Any], **options: Any) -> Task[[int], int]:
    @task(cache_key_fn=task_input_hash, **options)
    def expensive(x: int) -> int:
        calls.append(x)
        return x * 100

    return expensive


def test_cache_hit_returns_cached_result_without_executing(
    backend: InMemoryBackend, clock: FakeClock
) -> None:
    calls: list[int] = []
    expensive = _cached_task(calls)

    @flow
    def pipeline(x: int) -> int:
        return expensive(x)

    assert pipeline(3) == 300
    clock.advance(1)
    assert pipeline(3) == 300
    assert calls == [3]
    first, second = sorted(backend.list_flow_runs(), key=lambda r: r.created)
    assert task_runs(backend, first.id)["expensive-0"].state is S.COMPLETED
    cached = task_runs(backend, second.id)["expensive-0"]
    assert cached.state is S.CACHED
    assert cached.cache_key == task_runs(backend, first.id)["expensive-0"].cache_key
    assert cached.cache_key is not None and cached.attempts == 0


def test_cache_miss_with_different_arguments_executes(backend: InMemoryBackend) -> None:
    calls: list[int] = []
    expensive = _cached_task(calls)

    @flow
    def pipeline() -> list[int]:
        return [expensive(1), expensive(2), expensive(1)]

    assert pipeline() == [100, 200, 100]
    assert calls == [1, 2]
    runs = task_runs(backend)
    assert [runs[f"expensive-{i}"].state for i in range(3)] == [S.COMPLETED, S.COMPLETED, S.CACHED]


def test_cache_expires_after_cache_expiration(backend: InMemoryBackend, clock: FakeClock) -> None:
    calls: list[int] = []
    expensive = _cached_task(calls, cache_expiration=timedelta(seconds=10))

    @flow
    def pipeline() -> int:
        return expensive(5)

    pipeline()
    clock.advance(9)
    pipeline()
    assert calls == [5]
    clock.advance(2)
    pipeline()
    assert calls == [5, 5]


def test_refresh_cache_executes_and_replaces_the_entry(backend: InMemoryBackend) -> None:
    calls: list[int] = []
    expensive = _cached_task(calls)
    refreshing = expensive.with_options(refresh_cache=True)

    @flow
    def pipeline(refresh: bool) -> int:
        return refreshing(7) if refresh else expensive(7)

    pipeline(False)
    pipeline(True)
    assert calls == [7, 7]
    pipeline(False)
    assert calls == [7, 7]


def test_cache_key_fn_returning_none_disables_caching(backend: InMemoryBackend) -> None:
    calls: list[int] = []

    @task(cache_key_fn=lambda ctx, args: None)
    def uncached(x: int) -> int:
        calls.append(x)
        return x

    @flow
    def pipeline() -> None:
        uncached(1)
        uncached(1)

    pipeline()
    assert calls == [1, 1]


def test_task_input_hash_ignores_unhashable_arguments_by_disabling_the_cache(
    backend: InMemoryBackend,
) -> None:
    calls: list[int] = []
    lock = threading.Lock()  # neither JSON nor picklable

    @task(cache_key_fn=task_input_hash)
    def with_lock(x: int, guard: Any) -> int:
        calls.append(x)
        return x

    @flow
    def pipeline() -> None:
        with_lock(1, lock)
        with_lock(1, lock)

    pipeline()
    assert calls == [1, 1]
    assert {r.cache_key for r in task_runs(backend).values()} == {None}


# -- Luigi-style outputs ----------------------------------------------------------------


def _producer(tmp_path: Path, calls: list[str]) -> Task[[str], str]:
    @task(outputs=[str(tmp_path / "out_{day}.txt")])
    def produce(day: str) -> str:
        calls.append(day)
        path = tmp_path / f"out_{day}.txt"
        path.write_text("data")
        return "produced"

    return produce


def test_task_whose_outputs_exist_is_cached_and_not_executed(
    backend: InMemoryBackend, tmp_path: Path
) -> None:
    calls: list[str] = []
    produce = _producer(tmp_path, calls)
    (tmp_path / "out_monday.txt").write_text("already there")

    @flow
    def pipeline() -> str:
        return produce("monday")

    assert pipeline() == str(tmp_path / "out_monday.txt")
    assert calls == []
    record = task_runs(backend)["produce-0"]
    assert record.state is S.CACHED
    assert record.attempts == 0


def test_task_whose_outputs_are_missing_runs(backend: InMemoryBackend, tmp_path: Path) -> None:
    calls: list[str] = []
    produce = _producer(tmp_path, calls)

    @flow
    def pipeline(day: str) -> str:
        return produce(day)

    assert pipeline("tuesday") == "produced"
    assert calls == ["tuesday"]
    assert task_runs(backend)["produce-0"].state is S.COMPLETED
    # the second run finds the file the first one wrote
    assert pipeline("tuesday") == str(tmp_path / "out_tuesday.txt")
    assert calls == ["tuesday"]


def test_outputs_template_with_an_unknown_name_fails_the_task_with_a_fix(
    backend: InMemoryBackend, tmp_path: Path
) -> None:
    @task(outputs=[str(tmp_path / "{missing}.txt")])
    def produce(day: str) -> str:
        return day

    @flow
    def pipeline() -> None:
        produce("x")

    state = pipeline(return_state=True)
    assert state.is_failed()
    message = task_runs(backend)["produce-0"].state_message or ""
    assert "outputs=" in message and "'missing'" in message


# -- hooks --------------------------------------------------------------------------------


def test_task_on_completion_hook_gets_task_run_and_state(backend: InMemoryBackend) -> None:
    seen: list[Any] = []

    def hook(task_: Any, run: Any, state: State) -> None:
        seen.append((task_.name, run.task_key, state.is_completed(), state.result()))

    @task(on_completion=[hook])
    def ok() -> int:
        return 5

    @flow
    def pipeline() -> None:
        ok()

    pipeline()
    assert seen == [("ok", "ok-0", True, 5)]


def test_task_on_failure_hook_gets_the_exception(backend: InMemoryBackend) -> None:
    seen: list[Any] = []

    def hook(task_: Any, run: Any, state: State) -> None:
        seen.append(
            (
                run.task_key,
                run.attempts,
                state.is_failed(),
                repr(state.result(raise_on_failure=False)),
            )
        )

    @task(retries=1, on_failure=[hook], on_completion=[lambda *a: seen.append("completion")])
    def bad() -> None:
        raise ValueError("hooked")

    @flow
    def pipeline() -> None:
        bad.submit()

    pipeline(return_state=True)
    assert seen == [("bad-0", 2, True, "ValueError('hooked')")]


def test_raising_hook_does_not_change_the_task_state(backend: InMemoryBackend) -> None:
    after: list[str] = []

    def broken_hook(*_: Any) -> None:
        raise RuntimeError("hook bug")

    @task(on_completion=[broken_hook, lambda *a: after.append("second hook ran")])
    def ok() -> int:
        return 1

    @flow
    def pipeline() -> int:
        return ok()

    assert pipeline() == 1
    assert task_runs(backend)["ok-0"].state is S.COMPLETED
    assert only_flow_run(backend).state is S.COMPLETED
    assert after == ["second hook ran"]


# -- timeouts -------------------------------------------------------------------------------


def test_sync_task_past_its_timeout_fails_with_task_timeout_error(backend: InMemoryBackend) -> None:
    gate = threading.Event()
    states: list[State] = []

    @task(timeout_seconds=0.2)
    def stuck() -> str:
        gate.wait(0.5)
        return "too late"

    @flow
    def pipeline() -> None:
        states.append(stuck(return_state=True))

    try:
        pipeline()
    finally:
        gate.set()
    (state,) = states
    assert state.is_failed()
    error = state.result(raise_on_failure=False)
    assert isinstance(error, TaskTimeoutError)
    assert "task run stuck-0 exceeded its timeout of 0.2 s" in str(error)
    assert task_runs(backend)["stuck-0"].state is S.FAILED


def test_sync_task_within_its_timeout_completes(backend: InMemoryBackend) -> None:
    @task(timeout_seconds=5)
    def quick() -> str:
        return "fine"

    @flow
    def pipeline() -> str:
        return quick()

    assert pipeline() == "fine"


def test_async_task_past_its_timeout_is_cancelled_and_fails(backend: InMemoryBackend) -> None:
    cancelled: list[bool] = []
    states: list[State] = []

    @task(timeout_seconds=0.2)
    async def stuck() -> str:
        try:
            await asyncio.wait_for(asyncio.Event().wait(), 0.5)
        except asyncio.CancelledError:
            cancelled.append(True)
            raise
        return "too late"

    @flow
    def pipeline() -> None:
        states.append(stuck(return_state=True))

    pipeline()
    (state,) = states
    assert state.is_failed()
    error = state.result(raise_on_failure=False)
    assert isinstance(error, TaskTimeoutError)
    assert "cancelled" in str(error)
    assert cancelled == [True]


def test_task_timeout_is_retried_like_any_failure(backend: InMemoryBackend) -> None:
    gate = threading.Event()
    calls: list[int] = []

    @task(timeout_seconds=0.2, retries=1)
    def slow_then_fast() -> str:
        calls.append(1)
        if len(calls) == 1:
            gate.wait(0.5)
        return "second try"

    @flow
    def pipeline() -> str:
        return slow_then_fast()

    try:
        assert pipeline() == "second try"
    finally:
        gate.set()
    assert task_runs(backend)["slow_then_fast-0"].attempts == 2


def test_wait_for_a_failed_upstream_skips_the_dependant(backend: InMemoryBackend) -> None:
    ran: list[str] = []

    @task
    def after() -> None:
        ran.append("after")

    @flow
    def pipeline() -> None:
        after.submit(wait_for=[fail.submit("gate failed")])

    pipeline(return_state=True)
    assert ran == []
    assert task_runs(backend)["after-0"].state is S.SKIPPED


def test_exponential_backoff_delays_are_slept_between_attempts(
    backend: InMemoryBackend, clock: FakeClock
) -> None:
    @task(retries=3, retry_delay_seconds=exponential_backoff(2))
    def always_fails() -> None:
        raise RuntimeError("again")

    @flow
    def pipeline() -> None:
        always_fails()

    pipeline(return_state=True)
    assert clock.sleeps == [2.0, 4.0, 8.0]


def test_cached_result_whose_file_is_gone_executes_again(clock: FakeClock) -> None:
    backend = InMemoryBackend(clock)
    calls: list[int] = []

    @task(cache_key_fn=task_input_hash)
    def expensive(x: int) -> str:
        calls.append(x)
        return "a long result that goes to the result store"

    @flow
    def pipeline() -> str:
        return expensive(1)

    with legato_test_harness(backend, clock=clock, inline_result_limit=10):
        pipeline()
        (ref,) = [entry for entry, _ in backend.cache.values()]
        assert ref.path is not None
        os.remove(ref.path)
        assert pipeline() == "a long result that goes to the result store"
    assert calls == [1, 1]


def test_outputs_may_be_a_function_of_the_parameters(
    backend: InMemoryBackend, tmp_path: Path
) -> None:
    calls: list[str] = []
    (tmp_path / "a.csv").write_text("")
    (tmp_path / "a.json").write_text("")

    @task(outputs=lambda name: [str(tmp_path / f"{name}.csv"), str(tmp_path / f"{name}.json")])
    def export(name: str) -> str:
        calls.append(name)
        return "exported"

    @flow
    def pipeline() -> list[Any]:
        return [export("a"), export("b")]

    assert pipeline() == [[str(tmp_path / "a.csv"), str(tmp_path / "a.json")], "exported"]
    assert calls == ["b"]


def test_persist_result_false_returns_an_unpicklable_value_in_memory(
    backend: InMemoryBackend,
) -> None:
    # As in Prefect: persist_result=False keeps the result in memory only, so any object
    # (a lock, a connection) can pass between tasks of one flow run.
    @task(persist_result=False)
    def connect() -> threading.Lock:
        return threading.Lock()

    @flow
    def pipeline() -> str:
        return type(connect()).__name__

    assert pipeline() == "lock"
    record = task_runs(backend)["connect-0"]
    assert record.state is S.COMPLETED
    assert record.result is None


def test_unserializable_result_is_kept_in_memory_with_a_warning_by_default(
        backend: InMemoryBackend) -> None:
    @task
    def connect() -> threading.Lock:
        return threading.Lock()

    @flow
    def pipeline() -> str:
        return type(connect()).__name__

    assert pipeline() == "lock"
    record = task_runs(backend)["connect-0"]
    assert (record.state, record.result) == (S.COMPLETED, None)
    warnings = [log.message for log in backend.read_logs(only_flow_run(backend).id,
                                                         task_run_id=record.id)]
    assert any(m.startswith("result kept in memory only") for m in warnings)


def test_persist_result_true_fails_a_task_whose_result_cannot_be_stored(
        backend: InMemoryBackend) -> None:
    @task(persist_result=True)
    def connect() -> threading.Lock:
        return threading.Lock()

    @flow
    def pipeline() -> None:
        connect()

    assert pipeline(return_state=True).is_failed()
    record = task_runs(backend)["connect-0"]
    assert record.state is S.FAILED
    assert "cannot be serialized" in (record.state_message or "")


def test_persist_result_false_stores_no_result_even_when_it_could(
        backend: InMemoryBackend) -> None:
    @task(persist_result=False)
    def small() -> int:
        return 3

    @flow
    def pipeline() -> int:
        return small()

    assert pipeline() == 3
    assert task_runs(backend)["small-0"].result is None


def test_an_outputs_check_that_raises_fails_the_task_and_runs_its_failure_hooks(
    backend: InMemoryBackend,
) -> None:
    failures: list[str] = []

    def outputs(day: str) -> list[str]:
        raise OSError(f"cannot list outputs for {day}")

    @task(outputs=outputs, on_failure=[lambda t, run, state: failures.append(run.task_key)])
    def build(day: str) -> str:
        return day

    @flow
    def pipeline() -> None:
        build("2026-01-01")

    state = pipeline(return_state=True)

    assert state.is_failed()
    record = task_runs(backend)["build-0"]
    assert record.state is S.FAILED
    assert record.state_message is not None and "cannot list outputs" in record.state_message
    assert failures == ["build-0"]


def test_a_cache_hit_runs_on_completion_hooks(backend: InMemoryBackend) -> None:
    from legato.tasks import task_input_hash

    completed: list[str] = []

    @task(cache_key_fn=task_input_hash,
          on_completion=[lambda t, run, state: completed.append(state.type.value)])
    def double(x: int) -> int:
        return 2 * x

    @flow
    def twice() -> int:
        return double(1) + double(1)

    assert twice() == 4
    assert completed == ["COMPLETED", "CACHED"]
