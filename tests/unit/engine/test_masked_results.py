"""Results that hold a registered secret: the dependants get the real value in process, the
stored result is a masked stand-in (masked JSON, or nothing of a pickle), inline or in the
result store; a resume re-executes such a task and the cache never serves it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest

from legato import flow, task
from legato.core.records import ResultRef
from legato.core.states import StateType
from legato.engine.flow_engine import run_sync
from legato.engine.masking import (
    MASK,
    bytes_hold_secret,
    forget_secrets,
    holds_secret,
    register_secret,
    registered_secrets,
)
from legato.engine.results import MASKED, ResultStore, ResultWriter, is_masked
from legato.errors import Conflict, ResultError
from legato.sdk import runtime
from legato.testing import FakeClock, InMemoryBackend, legato_test_harness

from .support import only_flow_run, task_runs

SECRET = "sk-live-5ecret-value-77"


@dataclass
class Creds:
    user: str
    password: str


@pytest.fixture(autouse=True)
def fresh_masks() -> Iterator[None]:
    forget_secrets()
    yield
    forget_secrets()


@pytest.fixture
def writer(tmp_path: Path) -> ResultWriter:
    return ResultWriter(ResultStore(str(tmp_path / "results")), 64)


def test_holds_secret_searches_strings_and_keys_but_not_numbers() -> None:
    assert not holds_secret({"a": SECRET})  # nothing registered yet
    register_secret(SECRET)
    register_secret("2024")
    assert holds_secret({"a": [1, f"token {SECRET}"]})
    assert holds_secret({SECRET: 1})
    assert not holds_secret({"year": 2024, "a": ["b", None, 2.5]})
    assert bytes_hold_secret(b"\x80\x05" + SECRET.encode())
    assert not bytes_hold_secret(b"\x80\x05 nothing here")
    assert SECRET in registered_secrets()


def test_without_secrets_results_are_written_as_before(writer: ResultWriter) -> None:
    assert writer.write(SECRET, "r/1") == ResultRef("json", "inline", orjson.dumps(SECRET))


def test_json_result_with_a_secret_is_stored_masked_inline(writer: ResultWriter) -> None:
    register_secret(SECRET)
    ref = writer.write({"token": SECRET, "n": 3}, "r/1")
    assert (ref.serializer, ref.storage) == (MASKED, "inline") and is_masked(ref)
    assert ref.data is not None and SECRET.encode() not in ref.data
    assert writer.read_masked(ref) == {"token": MASK, "n": 3}
    with pytest.raises(ResultError, match="stored masked because it contains a secret"):
        writer.read(ref, "of task run t-0")


def test_short_string_result_equal_to_a_secret_is_masked(writer: ResultWriter) -> None:
    register_secret(SECRET)
    ref = writer.write(SECRET, "r/1")
    assert ref == ResultRef(MASKED, "inline", orjson.dumps(MASK))


def test_large_json_result_with_a_secret_reaches_the_store_only_masked(
        writer: ResultWriter, tmp_path: Path) -> None:
    register_secret(SECRET)
    ref = writer.write({"rows": ["x" * 40] * 5, "token": SECRET}, "r/big")
    assert (ref.serializer, ref.storage) == (MASKED, "store") and ref.path is not None
    stored = Path(ref.path).read_bytes()
    assert SECRET.encode() not in stored and MASK.encode() in stored
    assert writer.read_masked(ref)["token"] == MASK
    with pytest.raises(ResultError, match="stored masked"):
        writer.read(ref)


def test_pickled_result_with_a_secret_keeps_no_payload_anywhere(
        writer: ResultWriter, tmp_path: Path) -> None:
    register_secret(SECRET)
    ref = writer.write(Creds("svc", SECRET), "r/1")
    assert ref == ResultRef(MASKED, "inline", None)
    assert writer.read_masked(ref) is None
    big = writer.write([Creds("svc" * 40, SECRET)], "r/2")
    assert big == ResultRef(MASKED, "inline", None)
    assert not (tmp_path / "results").exists() or not any((tmp_path / "results").rglob("*"))


def test_pickled_result_without_a_secret_is_pickled_while_masking_is_on(
        writer: ResultWriter) -> None:
    register_secret(SECRET)
    ref = writer.write(Creds("svc", "harmless"), "r/1")
    assert ref.serializer == "pickle"
    assert writer.read(ref) == Creds("svc", "harmless")


def _secret_flow(calls: list[str]) -> Any:
    @task
    def fetch() -> dict[str, str]:
        calls.append("fetch")
        register_secret(SECRET)  # what Secret.load does
        return {"token": SECRET}

    @task
    def use(creds: dict[str, str]) -> int:
        calls.append("use")
        return len(creds["token"])

    @flow
    def pipeline() -> dict[str, Any]:
        creds = fetch()
        return {"length": use(creds), "creds": creds}

    return pipeline


def test_dependants_get_the_real_value_and_the_store_only_the_masked_one(
        backend: InMemoryBackend) -> None:
    calls: list[str] = []
    state = _secret_flow(calls)(return_state=True)
    assert state.result() == {"length": len(SECRET), "creds": {"token": SECRET}}
    runs = task_runs(backend)
    fetched, used = runs["fetch-0"].result, runs["use-0"].result
    assert fetched is not None and is_masked(fetched)
    assert fetched.data == orjson.dumps({"token": MASK})
    assert used is not None and used.serializer == "json"
    flow_result = only_flow_run(backend).result
    assert flow_result is not None and is_masked(flow_result)
    assert flow_result.data is not None and SECRET.encode() not in flow_result.data


def test_a_resumed_run_re_executes_a_task_whose_result_was_masked(
        backend: InMemoryBackend, caplog: pytest.LogCaptureFixture) -> None:
    calls: list[str] = []
    fail = [True]

    @task
    def fetch() -> str:
        calls.append("fetch")
        register_secret(SECRET)
        return SECRET

    @task
    def plain() -> int:
        calls.append("plain")
        return 7

    @task
    def use(token: str, n: int) -> int:
        calls.append("use")
        if fail[0]:
            raise RuntimeError("not yet")
        return len(token) + n

    @flow
    def pipeline() -> int:
        return use(fetch(), plain())

    first = pipeline(return_state=True)
    assert first.is_failed() and first.flow_run_id is not None
    fail[0] = False
    backend.retry_flow_run(first.flow_run_id)
    second = run_sync(runtime.flow_runner(pipeline, {}, strict=False, backend=backend,
                                          resume=backend.read_flow_run(first.flow_run_id)))
    assert second.result() == len(SECRET) + 7
    assert calls == ["fetch", "plain", "use", "fetch", "use"]
    assert "re-running fetch-0: its stored result was masked" in caplog.text


def test_a_masked_result_is_never_cached_nor_served_from_the_cache(
        backend: InMemoryBackend) -> None:
    calls: list[str] = []

    @task(cache_key_fn=lambda ctx, params: "token-v1")
    def fetch() -> str:
        calls.append("fetch")
        register_secret(SECRET)
        return SECRET

    @flow
    def pipeline() -> str:
        return fetch()

    assert pipeline() == SECRET
    assert pipeline() == SECRET
    assert calls == ["fetch", "fetch"]
    assert backend.read_cache("token-v1", backend.clock.now()) is None
    backend.write_cache("token-v1", ResultRef(MASKED, "inline", orjson.dumps(MASK)), None)
    assert pipeline() == SECRET
    assert calls == ["fetch", "fetch", "fetch"]


def test_without_secrets_a_string_result_is_stored_as_json(backend: InMemoryBackend) -> None:
    @task
    def name() -> str:
        return SECRET

    @flow
    def pipeline() -> str:
        return name()

    pipeline()
    ref = task_runs(backend)["name-0"].result
    assert ref is not None and ref.serializer == "json"


@pytest.fixture
def small_inline_limit() -> Iterator[InMemoryBackend]:
    clock = FakeClock()
    backend = InMemoryBackend(clock)
    with legato_test_harness(backend, clock=clock, inline_result_limit=10):
        yield backend


def test_a_large_masked_task_result_file_never_holds_the_secret(
        small_inline_limit: InMemoryBackend) -> None:
    calls: list[str] = []
    _secret_flow(calls)()
    ref = task_runs(small_inline_limit)["fetch-0"].result
    assert ref is not None and is_masked(ref) and ref.storage == "store"
    assert ref.path is not None and os.path.isfile(ref.path)
    assert SECRET.encode() not in Path(ref.path).read_bytes()


def test_a_secret_passed_to_a_subflow_is_stored_masked_and_that_run_cannot_be_retried_alone(
        backend: InMemoryBackend) -> None:
    @flow
    def child(password: str, user: str) -> int:
        return len(password)

    @flow
    def parent() -> int:
        register_secret(SECRET)
        return child(SECRET, "svc")

    assert parent() == len(SECRET)
    (run,) = [r for r in backend.list_flow_runs(limit=10) if r.flow_name == "child"]
    assert run.parameters == {"password": MASK, "user": "svc"}
    backend.set_flow_run_state(run.id, StateType.FAILED, force=True)
    with pytest.raises(Conflict, match="was given a secret as a parameter") as info:
        runtime.retry_flow_run(run.id, backend=backend)
    assert "passes the secret's name" in str(info.value)
