"""`@flow`: with and without options, sync and async functions, `with_options`,
return_state, and decoration-time errors that name the flow."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from legato import Flow, flow, task
from legato.core.states import StateType
from legato.engine.task_runners import ThreadPoolTaskRunner
from legato.errors import DefinitionError, TaskTimeoutError
from legato.testing import InMemoryBackend
from tests.unit.engine.support import history, only_flow_run, task_runs

S = StateType


def test_bare_decorator_makes_a_flow_named_after_the_function(backend: InMemoryBackend) -> None:
    @flow
    def nightly_etl() -> str:
        """Load everything."""
        return "done"

    assert isinstance(nightly_etl, Flow)
    assert nightly_etl.name == "nightly_etl"
    assert nightly_etl.description == "Load everything."
    assert nightly_etl.__name__ == "nightly_etl"
    assert nightly_etl() == "done"
    assert only_flow_run(backend).flow_name == "nightly_etl"


def test_decorator_with_options_sets_name_description_version_and_tags(
    backend: InMemoryBackend,
) -> None:
    @flow(
        name="etl",
        description="Extract, transform, load.",
        version="2024.1",
        tags=["prod", "daily"],
    )
    def fn() -> int:
        """Ignored docstring."""
        return 1

    assert (fn.name, fn.description, fn.version, fn.tags) == (
        "etl",
        "Extract, transform, load.",
        "2024.1",
        ("prod", "daily"),
    )
    fn()
    run = only_flow_run(backend)
    assert run.flow_name == "etl"
    assert run.tags == ("prod", "daily")


def test_decorator_with_empty_parentheses_works(backend: InMemoryBackend) -> None:
    @flow()
    def fn() -> int:
        return 1

    assert isinstance(fn, Flow) and fn() == 1


def test_flow_run_records_entrypoint_and_flow_version(backend: InMemoryBackend) -> None:
    @flow
    def fn() -> None: ...

    fn()
    run = only_flow_run(backend)
    assert run.entrypoint == f"{__name__}:fn"
    assert run.flow_version_id is not None
    version = backend.read_flow_version(run.flow_version_id)
    assert version.flow_name == "fn"
    assert "def test_flow_run_records_entrypoint_and_flow_version" in version.source


def test_async_flow_awaited_via_asyncio_run(backend: InMemoryBackend) -> None:
    @flow
    async def pipeline(x: int) -> int:
        await asyncio.sleep(0)
        return x + 1

    assert asyncio.run(pipeline(1)) == 2
    run = only_flow_run(backend)
    assert run.state is S.COMPLETED
    assert history(backend, run.id) == [S.RUNNING, S.COMPLETED]


def test_async_flow_with_return_state_and_a_sync_task(backend: InMemoryBackend) -> None:
    @task
    def add_one(x: int) -> int:
        return x + 1

    @flow
    async def pipeline() -> int:
        return add_one(1)

    state = asyncio.run(pipeline(return_state=True))
    assert state.is_completed() and state.result() == 2
    assert task_runs(backend)["add_one-0"].state is S.COMPLETED


def test_async_flow_that_raises_ends_failed(backend: InMemoryBackend) -> None:
    @flow
    async def pipeline() -> None:
        raise ValueError("async broke")

    with pytest.raises(ValueError, match="async broke"):
        asyncio.run(pipeline())
    assert only_flow_run(backend).state is S.FAILED


def test_async_flow_past_its_timeout_ends_failed(backend: InMemoryBackend) -> None:
    @flow(timeout_seconds=0.1)
    async def stuck() -> None:
        await asyncio.wait_for(asyncio.Event().wait(), 0.5)

    state = asyncio.run(stuck(return_state=True))
    assert state.is_failed()
    error = state.result(raise_on_failure=False)
    assert isinstance(error, TaskTimeoutError)
    assert "flow run of 'stuck' exceeded its timeout of 0.1 s and was cancelled" in str(error)
    run = only_flow_run(backend)
    assert run.state is S.FAILED
    assert (run.state_message or "").startswith("TaskTimeoutError: flow run of 'stuck'")


def test_async_flow_retries_rerun_the_body(backend: InMemoryBackend) -> None:
    bodies: list[int] = []

    @flow(retries=1)
    async def pipeline() -> str:
        bodies.append(1)
        if len(bodies) == 1:
            raise RuntimeError("first attempt")
        return "second attempt"

    assert asyncio.run(pipeline()) == "second attempt"
    assert only_flow_run(backend).run_count == 2


def test_flow_context_is_left_after_an_async_flow(backend: InMemoryBackend) -> None:
    from legato.engine.context import current_flow_run

    @flow
    async def pipeline() -> None: ...

    async def main() -> object:
        await pipeline()
        return current_flow_run()

    assert asyncio.run(main()) is None


def test_with_options_returns_a_changed_copy(backend: InMemoryBackend) -> None:
    @flow(name="base", retries=0)
    def fn() -> str:
        return "ran"

    renamed = fn.with_options(name="renamed", tags=["x"])
    assert isinstance(renamed, Flow) and renamed is not fn
    assert (renamed.name, renamed.tags, fn.name) == ("renamed", ("x",), "base")
    assert renamed() == "ran"
    assert only_flow_run(backend).flow_name == "renamed"


def test_task_runner_class_is_accepted_and_instantiated() -> None:
    @flow(task_runner=ThreadPoolTaskRunner)
    def fn() -> None: ...

    assert isinstance(fn.task_runner, ThreadPoolTaskRunner)


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"timeout_seconds": 0}, "got timeout_seconds=0; give seconds > 0"),
        ({"retries": -1}, "got retries=-1; retries must be"),
        ({"on_completion": ["nope"]}, "got on_completion="),
        ({"on_failure": [1]}, "got on_failure="),
        ({"on_crashed": [None]}, "got on_crashed="),
        ({"on_cancellation": [object()]}, "got on_cancellation="),
        ({"task_runner": "threads"}, "got task_runner='threads'"),
    ],
)
def test_bad_flow_options_raise_definition_error_naming_the_flow(
    options: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(DefinitionError) as info:
        flow(name="etl", **options)(lambda: None)
    message = str(info.value)
    assert message.startswith("@flow 'etl' ")
    assert fragment in message


def test_decorating_something_not_callable_raises_definition_error() -> None:
    with pytest.raises(DefinitionError, match="not a function"):
        Flow("not a function")  # type: ignore[arg-type]


def test_sync_flow_called_inside_an_async_flow_is_a_subflow(backend: InMemoryBackend) -> None:
    @flow
    def child() -> int:
        return 5

    @flow
    async def parent() -> int:
        return child() * 2

    assert asyncio.run(parent()) == 10
    assert only_flow_run(backend, "child").parent_flow_run_id == only_flow_run(backend, "parent").id
