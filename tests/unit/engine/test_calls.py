"""Task calls inside a flow: direct calls, `.submit()`, `.map()`, futures in arguments
(edges and values), `wait_for=`, and calls outside any flow."""

from __future__ import annotations

from typing import Any, cast

import pytest

from legato import LegatoFuture, flow, quote, task, unmapped
from legato.core.states import StateType
from legato.errors import DefinitionError, LegatoError
from legato.testing import InMemoryBackend

from .support import only_flow_run, task_runs

S = StateType


@task
def double(x: int) -> int:
    return 2 * x


@task
def add(x: int, y: int) -> int:
    return x + y


def test_task_called_in_a_flow_returns_its_value_and_is_recorded(backend: InMemoryBackend) -> None:
    @flow
    def pipeline() -> int:
        return double(21)

    assert pipeline() == 42
    run = only_flow_run(backend)
    assert run.state is S.COMPLETED
    (record,) = task_runs(backend).values()
    assert (record.task_key, record.task_name, record.state) == ("double-0", "double", S.COMPLETED)
    assert record.attempts == 1
    assert record.map_index is None


def test_repeated_calls_of_one_task_get_numbered_keys(backend: InMemoryBackend) -> None:
    @flow
    def pipeline() -> list[int]:
        return [double(1), double(2), add(1, 2)]

    assert pipeline() == [2, 4, 3]
    assert sorted(task_runs(backend)) == ["add-0", "double-0", "double-1"]


def test_submit_returns_a_future_whose_result_is_the_value(backend: InMemoryBackend) -> None:
    seen: list[Any] = []

    @flow
    def pipeline() -> int:
        future = double.submit(5)
        seen.append(future)
        return future.result()

    assert pipeline() == 10
    assert isinstance(seen[0], LegatoFuture)
    assert seen[0].done()
    assert task_runs(backend)["double-0"].state is S.COMPLETED


def test_returning_futures_from_a_flow_returns_their_values(backend: InMemoryBackend) -> None:
    @flow
    def pipeline() -> Any:
        return {"one": double.submit(1), "many": [double.submit(2), double.submit(3)]}

    assert pipeline() == {"one": 2, "many": [4, 6]}


def test_map_with_unmapped_argument_passes_it_whole(backend: InMemoryBackend) -> None:
    received: list[Any] = []

    @task
    def scale(x: int, factors: list[int]) -> int:
        received.append(factors)
        return x * factors[0]

    @flow
    def pipeline() -> list[int]:
        return scale.map([1, 2, 3], unmapped([10, 20])).result()

    assert pipeline() == [10, 20, 30]
    assert received == [[10, 20]] * 3


def test_map_over_two_iterables_pairs_their_elements(backend: InMemoryBackend) -> None:
    @flow
    def pipeline() -> list[int]:
        return add.map([1, 2, 3], [10, 20, 30]).result()

    assert pipeline() == [11, 22, 33]
    records = task_runs(backend)
    assert sorted(records) == ["add-0[0]", "add-0[1]", "add-0[2]"]
    assert sorted(cast(int, r.map_index) for r in records.values()) == [0, 1, 2]


def test_map_with_keyword_iterables(backend: InMemoryBackend) -> None:
    @flow
    def pipeline() -> list[int]:
        return add.map(x=[1, 2], y=[100, 200]).result()

    assert pipeline() == [101, 202]


def test_map_with_a_positional_iterable_and_an_unmapped_keyword(backend: InMemoryBackend) -> None:
    @flow
    def pipeline() -> list[int]:
        return add.map([1, 2, 3], y=unmapped(1000)).result()

    assert pipeline() == [1001, 1002, 1003]


def test_map_passes_strings_and_non_iterables_whole(backend: InMemoryBackend) -> None:
    @task
    def label(prefix: str, n: int, sep: str) -> str:
        return f"{prefix}{sep}{n}"

    @flow
    def pipeline() -> list[str]:
        return label.map("row", [1, 2], sep="-").result()

    assert pipeline() == ["row-1", "row-2"]


def test_map_over_a_futures_result(backend: InMemoryBackend) -> None:
    @task
    def numbers(n: int) -> list[int]:
        return list(range(n))

    @flow
    def pipeline() -> list[int]:
        return double.map(numbers.submit(4)).result()

    assert pipeline() == [0, 2, 4, 6]
    assert len(task_runs(backend)) == 5


def test_map_over_iterables_of_different_lengths_raises_definition_error(
    backend: InMemoryBackend,
) -> None:
    errors: list[Exception] = []

    @flow
    def pipeline() -> None:
        try:
            add.map([1, 2, 3], [1, 2])
        except DefinitionError as exc:
            errors.append(exc)

    pipeline()
    assert len(errors) == 1
    message = str(errors[0])
    assert "'add'" in message and "different lengths" in message and "unmapped()" in message
    # nothing was submitted
    assert task_runs(backend) == {}


def test_map_without_any_iterable_raises_definition_error(backend: InMemoryBackend) -> None:
    @flow
    def pipeline() -> None:
        add.map(unmapped(1), unmapped(2))

    state = pipeline(return_state=True)
    assert state.is_failed()
    assert isinstance(state.result(raise_on_failure=False), DefinitionError)


def test_futures_nested_in_lists_and_dicts_become_edges_and_values(
    backend: InMemoryBackend,
) -> None:
    received: list[Any] = []

    @task
    def combine(items: list[int], table: dict[str, Any]) -> int:
        received.append((items, table))
        return cast(int, sum(items) + table["x"] + sum(table["more"]))

    @flow
    def pipeline() -> int:
        a, b, c, d = (double.submit(i) for i in (1, 2, 3, 4))
        return cast(int, combine([a, b, 7], {"x": c, "more": (d, 1)}))

    assert pipeline() == 2 + 4 + 7 + 6 + 8 + 1
    assert received == [([2, 4, 7], {"x": 6, "more": (8, 1)})]
    runs = task_runs(backend)
    downstream = runs["combine-0"].id
    upstream = {runs[f"double-{i}"].id for i in range(4)}
    edges = backend.read_edges(only_flow_run(backend).id)
    assert set(edges) == {(u, downstream) for u in upstream}


def test_the_same_future_twice_gives_one_edge(backend: InMemoryBackend) -> None:
    @flow
    def pipeline() -> int:
        f = double.submit(3)
        return cast(int, add(f, f))

    assert pipeline() == 12
    assert len(backend.read_edges(only_flow_run(backend).id)) == 1


def test_wait_for_adds_an_edge_without_passing_a_value(backend: InMemoryBackend) -> None:
    order: list[str] = []

    @task
    def first() -> str:
        order.append("first")
        return "ignored"

    @task
    def second() -> str:
        order.append("second")
        return "done"

    @flow
    def pipeline() -> str:
        f = first.submit()
        return cast(str, second.submit(wait_for=[f]).result())

    assert pipeline() == "done"
    assert order == ["first", "second"]
    runs = task_runs(backend)
    assert backend.read_edges(only_flow_run(backend).id) == [
        (runs["first-0"].id, runs["second-0"].id)
    ]


def test_quote_passes_the_value_as_is_without_edges(backend: InMemoryBackend) -> None:
    received: list[Any] = []

    @task
    def inspect_arg(value: Any) -> None:
        received.append(value)

    @flow
    def pipeline() -> None:
        f = double.submit(1)
        f.wait()
        inspect_arg(quote([f]))

    pipeline()
    assert len(received) == 1
    assert isinstance(received[0][0], LegatoFuture)
    assert backend.read_edges(only_flow_run(backend).id) == []


def test_submit_outside_a_flow_raises_a_legato_error() -> None:
    with pytest.raises(LegatoError, match="outside a flow") as info:
        double.submit(1)
    assert "'double'" in str(info.value)


def test_map_outside_a_flow_raises_a_legato_error() -> None:
    with pytest.raises(LegatoError, match="outside a flow"):
        double.map([1, 2])


def test_task_called_outside_a_flow_runs_as_a_plain_function(backend: InMemoryBackend) -> None:
    assert double(4) == 8
    assert backend.list_flow_runs() == []
    assert backend.writes == 0


def test_task_called_outside_a_flow_raises_its_own_exception() -> None:
    @task
    def boom() -> None:
        raise ValueError("plain")

    with pytest.raises(ValueError, match="plain"):
        boom()


def test_wait_for_reads_a_generator_of_futures_for_submit_and_every_mapped_run(
        backend: InMemoryBackend) -> None:
    @task
    def first() -> str:
        return "first"

    @task
    def after(i: int) -> int:
        return i

    @flow
    def pipeline() -> None:
        f = first.submit()
        after.submit(0, wait_for=(x for x in [f])).wait()
        after.map([1, 2, 3], wait_for=(x for x in [f])).wait()

    pipeline()
    runs = task_runs(backend)
    upstream = runs["first-0"].id
    downstream = {runs[k].id for k in ("after-0", "after-1[0]", "after-1[1]", "after-1[2]")}
    assert set(backend.read_edges(only_flow_run(backend).id)) == {
        (upstream, d) for d in downstream}


@pytest.mark.parametrize("wait_for", ["not-a-list", [1], [double]])
def test_wait_for_with_something_other_than_futures_is_a_definition_error(
        backend: InMemoryBackend, wait_for: Any) -> None:
    errors: list[Exception] = []

    @flow
    def pipeline() -> None:
        try:
            double.submit(1, wait_for=wait_for)
        except DefinitionError as exc:
            errors.append(exc)

    pipeline()
    assert len(errors) == 1 and "wait_for" in str(errors[0])
    assert task_runs(backend) == {}
