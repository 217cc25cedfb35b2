"""`@task`: with and without options, sync and async functions, `with_options`, and
decoration-time errors that name the task."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, cast

import pytest

from legato import Task, flow, task
from legato.core.states import StateType
from legato.errors import DefinitionError
from legato.testing import InMemoryBackend
from tests.unit.engine.support import task_runs

S = StateType


def test_bare_decorator_makes_a_task_named_after_the_function() -> None:
    @task
    def load_rows(n: int) -> int:
        """Load some rows."""
        return n

    assert isinstance(load_rows, Task)
    assert load_rows.name == "load_rows"
    assert load_rows.description == "Load some rows."
    assert load_rows.__name__ == "load_rows"
    assert load_rows.__doc__ == "Load some rows."
    assert load_rows.__wrapped__ is load_rows.fn
    assert load_rows.tags == () and load_rows.version is None
    assert load_rows(3) == 3


def test_decorator_with_options_sets_name_description_version_and_tags() -> None:
    @task(name="extract", description="Pull data.", version="1.2", tags=["etl", "nightly"])
    def fn() -> None:
        """Ignored docstring."""

    assert isinstance(fn, Task)
    assert (fn.name, fn.description, fn.version, fn.tags) == (
        "extract",
        "Pull data.",
        "1.2",
        ("etl", "nightly"),
    )


def test_decorator_with_empty_parentheses_works() -> None:
    @task()
    def fn() -> int:
        return 1

    assert isinstance(fn, Task) and fn.name == "fn"


def test_task_name_option_is_the_recorded_task_name(backend: InMemoryBackend) -> None:
    @task(name="custom-name")
    def fn() -> int:
        return 1

    @flow
    def pipeline() -> int:
        return fn()

    pipeline()
    (record,) = task_runs(backend).values()
    assert (record.task_key, record.task_name) == ("custom-name-0", "custom-name")


def test_with_options_returns_a_changed_copy_and_leaves_the_original(
    backend: InMemoryBackend,
) -> None:
    calls: list[int] = []

    @task(name="original", retries=0, tags=["a"])
    def fn() -> None:
        calls.append(1)
        raise ValueError("x")

    changed = fn.with_options(name="patient", retries=2)
    assert isinstance(changed, Task) and changed is not fn
    assert (changed.name, changed.retries, changed.tags) == ("patient", 2, ("a",))
    assert (fn.name, fn.retries) == ("original", 0)

    @flow
    def pipeline() -> None:
        changed()

    pipeline(return_state=True)
    assert len(calls) == 3
    assert task_runs(backend)["patient-0"].attempts == 3


def test_with_options_validates_the_new_options() -> None:
    @task
    def fn() -> None: ...

    with pytest.raises(DefinitionError, match="@task 'fn' got retries=-1"):
        fn.with_options(retries=-1)


def test_async_task_called_from_a_sync_flow_returns_its_value(backend: InMemoryBackend) -> None:
    @task
    async def fetch(x: int) -> int:
        await asyncio.sleep(0)
        return x + 1

    @flow
    def pipeline() -> int:
        return cast(int, fetch(1))  # a sync flow runs the async task to its value

    assert pipeline() == 2
    assert task_runs(backend)["fetch-0"].state is S.COMPLETED


def test_async_task_awaited_inside_an_async_flow(backend: InMemoryBackend) -> None:
    @task
    async def fetch(x: int) -> int:
        await asyncio.sleep(0)
        return x * 3

    @flow
    async def pipeline(x: int) -> int:
        first = await fetch(x)
        return await fetch(first)

    assert asyncio.run(pipeline(2)) == 18
    runs = task_runs(backend)
    assert sorted(runs) == ["fetch-0", "fetch-1"]
    assert all(r.state is S.COMPLETED for r in runs.values())


def test_async_tasks_submitted_and_mapped_in_a_sync_flow(backend: InMemoryBackend) -> None:
    @task
    async def halve(x: int) -> float:
        return x / 2

    @flow
    def pipeline() -> list[float]:
        # in a sync flow, futures of async tasks resolve to values, not coroutines
        return [cast(float, halve.submit(4).result()), *cast(list[float], halve.map([2, 6]).result())]

    assert pipeline() == [2.0, 1.0, 3.0]


def test_async_task_called_outside_a_flow_returns_a_coroutine() -> None:
    @task
    async def fetch() -> str:
        return "plain"

    assert asyncio.run(fetch()) == "plain"


def test_task_with_return_state_outside_a_flow_is_a_plain_call_argument() -> None:
    # Outside a flow the task is the function; Legato's keywords are taken off the call.
    @task
    def fn(x: int) -> int:
        return x

    assert fn(5, return_state=True) == 5


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"timeout_seconds": 0}, "got timeout_seconds=0; give seconds > 0"),
        ({"timeout_seconds": -1}, "got timeout_seconds=-1"),
        ({"timeout_seconds": True}, "got timeout_seconds=True"),
        ({"timeout_seconds": "5"}, "got timeout_seconds='5'"),
        ({"retries": -1}, "got retries=-1; retries must be"),
        ({"retry_delay_seconds": -3}, "retry_delay_seconds=-3"),
        ({"on_completion": [print, "not callable"]}, "got on_completion="),
        ({"on_failure": [42]}, "got on_failure="),
        ({"retry_condition_fn": "yes"}, "retry_condition_fn that is not callable"),
        ({"cache_key_fn": 3}, "cache_key_fn that is not callable"),
        ({"cache_expiration": 60}, "cache_expiration=60; give a datetime.timedelta"),
    ],
)
def test_bad_task_options_raise_definition_error_naming_the_task(
    options: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(DefinitionError) as info:
        task(name="load", **options)(lambda: None)
    message = str(info.value)
    assert message.startswith("@task 'load' ")
    assert fragment in message


def test_decorating_something_not_callable_raises_definition_error() -> None:
    with pytest.raises(DefinitionError, match="not a function"):
        Task(42)  # type: ignore[arg-type]


def test_good_options_are_kept_on_the_spec() -> None:
    @task(
        retries=2,
        retry_delay_seconds=[1, 2],
        timeout_seconds=3,
        cache_expiration=timedelta(minutes=1),
        outputs="out.txt",
    )
    def fn() -> None: ...

    assert fn.spec.retry.retries == 2
    assert fn.spec.retry.delays == (1.0, 2.0)
    assert fn.spec.timeout_seconds == 3.0
    assert fn.spec.cache_expiration == timedelta(minutes=1)
    assert list(cast(Sequence[str], fn.spec.outputs or [])) == ["out.txt"]
