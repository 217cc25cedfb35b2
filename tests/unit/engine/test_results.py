"""Results: JSON when the value round-trips, pickle otherwise; inline when small, in the
result store when large; unreadable results fail with the path and the fix."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from legato import flow, task
from legato.core.records import ResultRef
from legato.engine.results import ResultStore, ResultWriter, deserialize, serialize
from legato.errors import ResultError
from legato.sdk import runtime
from legato.testing import FakeClock, InMemoryBackend, legato_test_harness

from .support import task_runs


@dataclass
class Point:
    x: int
    y: int


@pytest.mark.parametrize(
    "value", [None, True, 3, 2.5, "text", [1, "a", None], {"a": {"b": [1, 2]}}]
)
def test_json_native_values_serialize_as_json_and_round_trip(value: Any) -> None:
    serializer, data = serialize(value)
    assert serializer == "json"
    assert deserialize(serializer, data, "x") == value


@pytest.mark.parametrize(
    "value", [(1, 2), {1: "int key"}, {"s": {1, 2}}, float("nan"), Point(1, 2), 2**70, [1, (2, 3)]]
)
def test_values_json_would_change_are_pickled(value: Any) -> None:
    serializer, data = serialize(value)
    assert serializer == "pickle"
    restored = deserialize(serializer, data, "x")
    if isinstance(value, float):
        assert restored != restored  # NaN
    else:
        assert restored == value
        assert type(restored) is type(value)


def test_unpicklable_value_raises_result_error_naming_the_type() -> None:
    class Unpicklable:
        def __reduce__(self) -> Any:
            raise TypeError("no pickling")

    with pytest.raises(ResultError, match="type Unpicklable cannot be serialized"):
        serialize(Unpicklable())


def test_unknown_serializer_raises_result_error() -> None:
    with pytest.raises(ResultError, match="unknown serializer 'yaml'"):
        deserialize("yaml", b"", "of task run t-0")


def test_writer_keeps_small_values_inline_and_large_ones_in_the_store(tmp_path: Path) -> None:
    writer = ResultWriter(ResultStore(str(tmp_path)), inline_limit=16)
    small = writer.write([1, 2], "run/small")
    assert (small.storage, small.serializer, small.data) == ("inline", "json", b"[1,2]")
    large = writer.write("x" * 100, "run/large")
    assert (large.storage, large.serializer, large.data) == ("store", "json", None)
    assert large.path is not None and os.path.isfile(large.path)
    assert large.path.startswith(str(tmp_path))
    assert writer.read(large) == "x" * 100
    assert writer.read(small) == [1, 2]


def test_none_is_stored_as_inline_null(tmp_path: Path) -> None:
    writer = ResultWriter(ResultStore(str(tmp_path)), inline_limit=0)
    ref = writer.write(None, "run/none")
    assert (ref.storage, ref.data) == ("inline", b"null")
    assert writer.read(ref) is None


def test_missing_result_file_raises_result_error_naming_the_path(tmp_path: Path) -> None:
    writer = ResultWriter(ResultStore(str(tmp_path)), inline_limit=0)
    ref = writer.write("payload", "run/task")
    assert ref.path is not None
    os.remove(ref.path)
    with pytest.raises(ResultError) as info:
        writer.read(ref)
    assert ref.path in str(info.value)
    assert "retry the run" in str(info.value)


# -- through flows ------------------------------------------------------------------------


@pytest.fixture
def small_inline_limit() -> Iterator[InMemoryBackend]:
    clock = FakeClock()
    backend = InMemoryBackend(clock)
    with legato_test_harness(backend, clock=clock, inline_result_limit=10):
        yield backend


def _result_of(backend: InMemoryBackend, value: Any) -> ResultRef:
    @task
    def produce() -> Any:
        return value

    @flow
    def pipeline() -> Any:
        return produce()

    pipeline()
    ref = task_runs(backend)["produce-0"].result
    assert ref is not None
    return ref


def test_dict_result_is_stored_inline_as_json(backend: InMemoryBackend) -> None:
    ref = _result_of(backend, {"rows": 3})
    assert (ref.storage, ref.serializer) == ("inline", "json")
    assert runtime.read_result(ref) == {"rows": 3}


def test_tuple_result_is_stored_inline_as_pickle(backend: InMemoryBackend) -> None:
    ref = _result_of(backend, (1, "two"))
    assert (ref.storage, ref.serializer) == ("inline", "pickle")
    assert runtime.read_result(ref) == (1, "two")


def test_custom_class_result_is_pickled(backend: InMemoryBackend) -> None:
    ref = _result_of(backend, Point(3, 4))
    assert ref.serializer == "pickle"
    assert runtime.read_result(ref) == Point(3, 4)


def test_large_result_goes_to_the_store_and_reads_back(small_inline_limit: InMemoryBackend) -> None:
    value = {"rows": list(range(50))}
    ref = _result_of(small_inline_limit, value)
    assert (ref.storage, ref.serializer, ref.data) == ("store", "json", None)
    assert ref.path is not None and os.path.isfile(ref.path)
    assert runtime.read_result(ref) == value


def test_corrupted_stored_result_raises_result_error_with_path_and_fix(
    small_inline_limit: InMemoryBackend,
) -> None:
    ref = _result_of(small_inline_limit, Point(1, 2))
    assert ref.storage == "store" and ref.path is not None
    with open(ref.path, "wb") as fh:
        fh.write(b"\x80\x05garbage")
    with pytest.raises(ResultError) as info:
        runtime.read_result(ref)
    message = str(info.value)
    assert ref.path in message
    assert "corrupt" in message
    assert "delete it and run the task again" in message


def test_large_flow_result_is_stored_too(small_inline_limit: InMemoryBackend) -> None:
    @flow
    def pipeline() -> str:
        return "a long flow result"

    pipeline()
    (run,) = small_inline_limit.list_flow_runs()
    assert run.result is not None and run.result.storage == "store"
    assert runtime.read_result(run.result) == "a long flow result"
