"""The runtime: loading flows from files, running them with raw parameters, and resuming a
failed run so that only task runs without a committed result execute again."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest

import legato
from legato import State
from legato.core.states import StateType
from legato.errors import Conflict, UserCodeError
from legato.sdk import runtime
from legato.sdk.flows import Flow
from legato.testing import FakeClock, InMemoryBackend, legato_test_harness
from tests.unit.engine.support import history, only_flow_run, task_runs

S = StateType

# Flows for resume tests live in real files: retry_flow_run reloads them from their
# entrypoint. Every execution appends the task's name to a log file, and a task that must
# fail once fails while the log has no earlier line for it.
PREAMBLE = '''
from legato import flow, task, unmapped


def record(log: str, name: str) -> bool:
    """Append `name` to the log; True if this is its first execution."""
    try:
        with open(log) as fh:
            first = name not in fh.read().split()
    except FileNotFoundError:
        first = True
    with open(log, "a") as fh:
        fh.write(name + "\\n")
    return first
'''


def write_flow(tmp_path: Path, name: str, body: str) -> Flow[..., object]:
    path = tmp_path / f"{name}.py"
    path.write_text(PREAMBLE + textwrap.dedent(body))
    return runtime.load_flow(f"{path}:{name}")


def executions(log: Path) -> list[str]:
    return log.read_text().split() if log.exists() else []


@pytest.fixture
def stored_results() -> Iterator[InMemoryBackend]:
    """Results bigger than 10 bytes go to files in the result store."""
    clock = FakeClock()
    backend = InMemoryBackend(clock)
    with legato_test_harness(backend, clock=clock, inline_result_limit=10):
        yield backend


CHAIN = """
@task
def t1(log: str) -> int:
    record(log, "t1")
    return 1


@task
def t2(log: str, x: int) -> int:
    record(log, "t2")
    return x + 1


@task
def t3(log: str, x: int) -> int:
    if record(log, "t3"):
        raise RuntimeError("t3 fails the first time")
    return x * 10


@flow
def chain(log: str) -> int:
    return t3(log, t2(log, t1(log)))
"""


def test_retry_reruns_only_the_failed_task(backend: InMemoryBackend, tmp_path: Path) -> None:
    chain = write_flow(tmp_path, "chain", CHAIN)
    log = tmp_path / "executions.log"
    first = cast(State, chain(log=str(log), return_state=True))
    assert first.is_failed()
    run = only_flow_run(backend)
    assert run.state is S.FAILED
    assert executions(log) == ["t1", "t2", "t3"]

    state = legato.retry_flow_run(run.id)
    assert state.is_completed()
    assert state.result() == 20
    assert sorted(executions(log)) == ["t1", "t2", "t3", "t3"]
    retried = only_flow_run(backend)
    assert retried.id == run.id
    assert (retried.state, retried.run_count) == (S.COMPLETED, 2)
    assert history(backend, run.id) == [
        S.RUNNING,
        S.FAILED,
        S.SCHEDULED,
        S.RUNNING,
        S.COMPLETED,
    ]
    runs = task_runs(backend, run.id)
    assert sorted(runs) == ["t1-0", "t2-0", "t3-0"]  # the same task runs, resumed
    assert all(r.state is S.COMPLETED for r in runs.values())
    assert history(backend, runs["t3-0"].id) == [S.RUNNING, S.FAILED, S.RUNNING, S.COMPLETED]
    assert history(backend, runs["t1-0"].id) == [S.RUNNING, S.COMPLETED]


FAN = """
@task
def item(log: str, i: int) -> int:
    if record(log, f"item{i}") and i == 3:
        raise RuntimeError("index 3 fails the first time")
    return i * i


@flow
def fan(log: str) -> list[int]:
    return item.map(unmapped(log), range(5)).result()
"""


def test_retry_of_a_map_reruns_only_the_failed_index(
    backend: InMemoryBackend, tmp_path: Path
) -> None:
    fan = write_flow(tmp_path, "fan", FAN)
    log = tmp_path / "executions.log"
    assert cast(State, fan(log=str(log), return_state=True)).is_failed()
    run = only_flow_run(backend)
    assert sorted(executions(log)) == [f"item{i}" for i in range(5)]
    before = task_runs(backend, run.id)
    assert before["item-0[3]"].state is S.FAILED

    state = legato.retry_flow_run(run.id)
    assert state.result() == [0, 1, 4, 9, 16]
    assert sorted(executions(log)) == sorted([f"item{i}" for i in range(5)] + ["item3"])
    after = task_runs(backend, run.id)
    assert {k: r.id for k, r in after.items()} == {k: r.id for k, r in before.items()}
    assert all(r.state is S.COMPLETED for r in after.values())


STORED = """
@task
def big(log: str, name: str) -> str:
    record(log, name)
    return name * 40


@task
def finish(log: str, text: str) -> int:
    if record(log, "finish"):
        raise RuntimeError("finish fails the first time")
    return len(text)


@flow
def stored(log: str) -> int:
    return finish(log, big(log, "a") + big(log, "b"))
"""


def test_task_whose_result_file_was_deleted_runs_again_on_retry(
    stored_results: InMemoryBackend, tmp_path: Path
) -> None:
    stored = write_flow(tmp_path, "stored", STORED)
    log = tmp_path / "executions.log"
    assert cast(State, stored(log=str(log), return_state=True)).is_failed()
    run = only_flow_run(stored_results)
    refs = {k: r.result for k, r in task_runs(stored_results, run.id).items()}
    a_ref = refs["big-0"]
    assert a_ref is not None and a_ref.storage == "store" and a_ref.path is not None
    os.remove(a_ref.path)

    state = legato.retry_flow_run(run.id)
    assert state.result() == 80
    assert sorted(executions(log)) == ["a", "a", "b", "finish", "finish"]
    assert only_flow_run(stored_results).state is S.COMPLETED


def test_retrying_a_completed_run_is_a_conflict(backend: InMemoryBackend, tmp_path: Path) -> None:
    chain = write_flow(tmp_path, "chain", CHAIN)
    log = tmp_path / "executions.log"
    log.write_text("t3\n")  # t3 has "failed before", so this run completes
    assert chain(log=str(log)) == 20
    run = only_flow_run(backend)
    with pytest.raises(Conflict) as info:
        legato.retry_flow_run(run.id)
    assert run.id in str(info.value) and "COMPLETED" in str(info.value)
    assert only_flow_run(backend).run_count == 1


def test_retrying_a_run_without_entrypoint_raises_user_code_error(backend: InMemoryBackend) -> None:
    namespace: dict[str, object] = {"__name__": "__main__"}
    exec("def interactive():\n    raise ValueError('typed at a prompt')\n", namespace)
    interactive = legato.flow(namespace["interactive"])  # type: ignore[call-overload]
    assert interactive(return_state=True).is_failed()
    run = only_flow_run(backend)
    assert run.entrypoint is None
    with pytest.raises(UserCodeError, match="no entrypoint"):
        legato.retry_flow_run(run.id)


def test_load_flow_from_a_file_sets_its_entrypoint(tmp_path: Path) -> None:
    loaded = write_flow(tmp_path, "chain", CHAIN)
    assert isinstance(loaded, Flow)
    assert loaded.name == "chain"
    assert loaded.entrypoint == f"{tmp_path / 'chain.py'}:chain"


def test_load_flow_with_a_missing_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(UserCodeError, match="does not exist"):
        runtime.load_flow(f"{tmp_path / 'nope.py'}:flow")


def test_load_flow_with_an_unknown_name_lists_the_flows_there(tmp_path: Path) -> None:
    write_flow(tmp_path, "chain", CHAIN)
    with pytest.raises(UserCodeError) as info:
        runtime.load_flow(f"{tmp_path / 'chain.py'}:t1")
    assert "'t1'" in str(info.value) and "is not a @flow" in str(info.value)
    assert "flows there: chain" in str(info.value)


def test_load_flow_without_a_flow_name_explains_the_format() -> None:
    with pytest.raises(UserCodeError, match=r"path/to/file\.py:flow_name"):
        runtime.load_flow("just_a_file.py")


def test_load_flow_from_a_broken_file_names_the_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.py"
    path.write_text("raise ImportError('missing dependency')\n")
    with pytest.raises(UserCodeError) as info:
        runtime.load_flow(f"{path}:anything")
    assert str(path) in str(info.value) and "missing dependency" in str(info.value)


def test_run_flow_returns_the_final_state_and_calls_on_start(
    backend: InMemoryBackend, tmp_path: Path
) -> None:
    chain = write_flow(tmp_path, "chain", CHAIN)
    log = tmp_path / "executions.log"
    log.write_text("t3\n")
    started: list[str] = []
    state = runtime.run_flow(chain, {"log": str(log)}, on_start=started.append)
    assert state.is_completed() and state.result() == 20
    assert started == [only_flow_run(backend).id]


NESTED = """
@task
def a(log: str) -> int:
    record(log, "a")
    return 1


@task
def b(log: str, x: int) -> int:
    if record(log, "b"):
        raise RuntimeError("b fails the first time")
    return x + 1


@flow
def inner(log: str) -> int:
    return b(log, a(log))


@task
def before(log: str) -> int:
    record(log, "before")
    return 5


@flow
def nested(log: str) -> int:
    return before(log) + inner(log)
"""


def test_retry_resumes_the_failed_subflow_run_in_place(
    backend: InMemoryBackend, tmp_path: Path
) -> None:
    nested = write_flow(tmp_path, "nested", NESTED)
    log = tmp_path / "executions.log"
    assert cast(State, nested(log=str(log), return_state=True)).is_failed()
    parent = only_flow_run(backend, "nested")
    child = only_flow_run(backend, "inner")
    assert child.state is S.FAILED

    assert legato.retry_flow_run(parent.id).result() == 7
    assert sorted(executions(log)) == ["a", "b", "b", "before"]
    resumed_child = only_flow_run(backend, "inner")
    assert resumed_child.id == child.id
    assert (resumed_child.state, resumed_child.run_count) == (S.COMPLETED, 2)
    link = task_runs(backend, parent.id)["inner-0"]
    assert (link.state, link.child_flow_run_id) == (S.COMPLETED, child.id)


UNSTORED = '''
@task(persist_result=False)
def memory_only(log: str) -> int:
    record(log, "memory_only")
    return 2


@task
def last(log: str, x: int) -> int:
    if record(log, "last"):
        raise RuntimeError("last fails the first time")
    return x * 2


@flow
def unstored(log: str) -> int:
    return last(log, memory_only(log))
'''


def test_task_without_a_stored_result_runs_again_on_retry(backend: InMemoryBackend,
                                                          tmp_path: Path) -> None:
    unstored = write_flow(tmp_path, "unstored", UNSTORED)
    log = tmp_path / "executions.log"
    assert cast(State, unstored(log=str(log), return_state=True)).is_failed()
    assert legato.retry_flow_run(only_flow_run(backend).id).result() == 4
    assert sorted(executions(log)) == ["last", "last", "memory_only", "memory_only"]


def test_a_precompiled_pinned_source_runs_its_compiled_code(tmp_path: Path) -> None:
    source = "from legato import flow\n\n@flow\ndef hi() -> str:\n    return 'hi'\n"
    digest = "f" * 64
    entrypoint = f"{tmp_path / 'pinned_hi.py'}:hi"
    runtime.precompile_pinned(entrypoint, source, digest)
    key = (str(tmp_path / "pinned_hi.py"), digest)
    assert key in runtime._PRECOMPILED
    # The cached code is what runs (so a fork skips the compile), not the text again.
    runtime._PRECOMPILED[key] = compile(source.replace("'hi'", "'compiled'"), key[0], "exec")
    try:
        flow = runtime.load_pinned_flow(entrypoint, source, digest)
        assert flow.fn() == "compiled"
    finally:
        del runtime._PRECOMPILED[key]


def test_a_pinned_source_that_does_not_compile_is_left_for_the_run_to_report(
    tmp_path: Path,
) -> None:
    entrypoint = f"{tmp_path / 'broken.py'}:f"
    runtime.precompile_pinned(entrypoint, "def (:\n", "e" * 64)
    assert (str(tmp_path / "broken.py"), "e" * 64) not in runtime._PRECOMPILED
    with pytest.raises(UserCodeError, match="SyntaxError"):
        runtime.load_pinned_flow(entrypoint, "def (:\n", "e" * 64)
