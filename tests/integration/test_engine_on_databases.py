"""Flows run by the real engine on a real store: SQLite files and PostgreSQL databases.

What the unit suite checks on the in-memory backend must hold on both databases: state is
durable, resume re-executes only what has no committed result, concurrent runs don't lock
each other out."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest

from legato import flow, task, unmapped
from legato.core.states import StateType
from legato.orchestration.local import LocalBackend
from legato.sdk import runtime
from legato.store.database import Database
from legato.testing import legato_test_harness

FLOW_FILE = '''
from pathlib import Path
from legato import flow, task, get_run_logger

@task
def extract(workdir: str) -> list[int]:
    with open(Path(workdir) / "extract.log", "a") as fh:
        fh.write("x\\n")
    return [1, 2, 3, 4, 5]

@task(retries=0)
def transform(value: int, workdir: str) -> int:
    with open(Path(workdir) / f"transform-{value}.log", "a") as fh:
        fh.write("x\\n")
    if value == 4 and not (Path(workdir) / "fixed").exists():
        raise RuntimeError("value 4 is not ready yet")
    return value * 10

@task
def load(values: list[int]) -> int:
    get_run_logger().info("loading %d values", len(values))
    return sum(values)

@flow
def pipeline(workdir: str) -> int:
    values = extract(workdir)
    return load(transform.map(values, workdir=workdir))
'''


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> Iterator[LocalBackend]:
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    db = Database(url)
    backend = LocalBackend(db)
    try:
        with legato_test_harness(backend):
            yield backend
    finally:
        backend.close()
        db.dispose()


def _lines(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


def test_a_mapped_flow_is_stored_with_every_task_run_and_its_history(
    backend: LocalBackend,
) -> None:
    @task
    def square(x: int, offset: int) -> int:
        return x * x + offset

    @task
    def total(values: list[int]) -> int:
        return sum(values)

    @flow
    def squares(n: int) -> int:
        return cast(int, total(square.map(range(n), offset=unmapped(1))))

    state = squares(n=300, return_state=True)

    assert state.is_completed() and state.result() == sum(x * x + 1 for x in range(300))
    run = backend.read_flow_run(state.flow_run_id)
    assert run.state is StateType.COMPLETED and run.run_count == 1
    assert run.parameters == {"n": 300}
    task_runs = backend.read_task_runs(run.id)
    assert len(task_runs) == 301
    assert backend.count_task_runs(run.id) == {StateType.COMPLETED: 301}
    mapped = {t.map_index for t in task_runs if t.task_name == "square"}
    assert mapped == set(range(300))
    history = [e.to_state for e in backend.read_state_events(task_runs[0].id)]
    assert history == [StateType.PENDING, StateType.RUNNING, StateType.COMPLETED]
    assert len(backend.read_edges(run.id)) == 300


def test_retry_re_executes_only_the_failed_mapped_index(
    backend: LocalBackend, tmp_path: Path
) -> None:
    source = tmp_path / "pipeline.py"
    source.write_text(FLOW_FILE)
    workdir = tmp_path / "work"
    workdir.mkdir()
    pipeline = runtime.load_flow(f"{source}:pipeline")

    first = runtime.run_flow(pipeline, {"workdir": str(workdir)})
    assert first.is_failed()
    assert first.flow_run_id is not None
    failed = backend.read_flow_run(first.flow_run_id)
    assert failed.state is StateType.FAILED
    states = {t.task_key: t.state for t in backend.read_task_runs(failed.id)}
    assert states["transform-0[3]"] is StateType.FAILED
    assert states["load-0"] is StateType.SKIPPED

    (workdir / "fixed").touch()
    second = runtime.retry_flow_run(failed.id)

    assert second.is_completed() and second.result() == 150
    assert second.flow_run_id == failed.id
    resumed = backend.read_flow_run(failed.id)
    assert resumed.state is StateType.COMPLETED and resumed.run_count == 2
    assert _lines(workdir / "extract.log") == 1
    assert [_lines(workdir / f"transform-{v}.log") for v in (1, 2, 3, 4, 5)] == [1, 1, 1, 2, 1]
    forced = [e for e in backend.read_state_events(failed.id) if e.forced]
    assert [e.to_state for e in forced] == [StateType.SCHEDULED]


def test_logs_of_a_run_are_stored_and_read_back_in_order(backend: LocalBackend) -> None:
    @task(log_prints=True)
    def talk(i: int) -> None:
        print(f"line {i}")

    @flow
    def chatty() -> None:
        for i in range(5):
            talk(i)

    state = chatty(return_state=True)

    messages = [log.message for log in backend.read_logs(state.flow_run_id)]
    assert [m for m in messages if m.startswith("line")] == [f"line {i}" for i in range(5)]
    first, second = backend.read_logs(state.flow_run_id, limit=2)
    assert second.id > first.id
    after = backend.read_logs(state.flow_run_id, after_id=first.id)
    assert after[0].id > first.id and len(after) == len(messages) - 1


def test_concurrent_flow_runs_in_threads_all_commit(backend: LocalBackend) -> None:
    @task
    def work(i: int) -> int:
        return i

    @flow
    def many(n: int) -> int:
        return sum(work.map(range(n)).result())

    results: list[Any] = []
    errors: list[BaseException] = []

    def run_one() -> None:
        try:
            results.append(many(n=50, return_state=True))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run_one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert errors == []
    assert [s.result() for s in results] == [sum(range(50))] * 4
    for s in results:
        assert backend.count_task_runs(s.flow_run_id) == {StateType.COMPLETED: 50}


def test_a_cached_result_is_shared_between_flow_runs(backend: LocalBackend) -> None:
    from legato.tasks import task_input_hash

    calls: list[int] = []

    @task(cache_key_fn=task_input_hash)
    def expensive(x: int) -> int:
        calls.append(x)
        return x + 1

    @flow
    def uses_cache(x: int) -> int:
        return expensive(x)

    assert uses_cache(x=1) == 2
    second = uses_cache(x=1, return_state=True)

    assert second.result() == 2 and calls == [1]
    [cached] = backend.read_task_runs(second.flow_run_id)
    assert cached.state is StateType.CACHED


def test_a_large_result_goes_to_the_result_store_and_survives_resume(
    backend: LocalBackend, tmp_path: Path
) -> None:
    runtime.set_results(None)
    from legato.engine.results import ResultStore, ResultWriter

    runtime.set_results(ResultWriter(ResultStore(str(tmp_path / "results")), 64))

    @task
    def big() -> list[str]:
        return ["x" * 50] * 10

    @flow
    def makes_big() -> int:
        return len(big())

    state = makes_big(return_state=True)

    [record] = backend.read_task_runs(state.flow_run_id)
    assert record.result is not None and record.result.storage == "store"
    assert record.result.path is not None and Path(record.result.path).exists()
    assert runtime.read_result(record.result) == ["x" * 50] * 10


def test_wait_for_with_something_other_than_futures_is_refused_before_anything_runs(
    backend: LocalBackend,
) -> None:
    from legato.errors import DefinitionError

    @task
    def step() -> int:
        return 1

    @flow
    def wrong() -> int:
        return cast(int, step.submit(wait_for=[step]).result())

    state = wrong(return_state=True)

    assert state.is_failed()
    error = state.result(raise_on_failure=False)
    assert isinstance(error, DefinitionError)
    assert "wait_for" in str(error) and "futures returned by .submit()" in str(error)
    assert backend.read_task_runs(state.flow_run_id) == []
