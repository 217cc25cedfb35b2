"""Task runners: the thread pool, attempts shipped to worker processes, and Dask — with
Legato's lifecycle (states, retries, logs) kept in the flow's process."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from pathlib import Path

import pytest

from legato import flow, get_run_logger, task
from legato.core.states import StateType
from legato.engine.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner
from legato.errors import DefinitionError
from legato.testing import InMemoryBackend

from .support import only_flow_run, task_runs

S = StateType


@task
def pid_and_square(x: int) -> tuple[int, int]:
    get_run_logger().info("squaring %d", x)
    print("printed", x)
    return os.getpid(), x * x


@task(retries=1)
def fails_first_time(marker: str) -> str:
    # The marker file is how a fresh worker process knows an earlier attempt ran.
    if not os.path.exists(marker):
        with open(marker, "w") as fh:
            fh.write("attempted")
        raise RuntimeError("first attempt fails")
    return "second attempt"


@task
def square(x: int) -> int:
    return x * x


def test_thread_pool_runs_submitted_tasks_concurrently(backend: InMemoryBackend) -> None:
    both_started = threading.Barrier(2, timeout=0.5)

    @task
    def meet() -> bool:
        both_started.wait()  # raises BrokenBarrierError unless both run at once
        return True

    @flow(task_runner=ThreadPoolTaskRunner(max_workers=2))
    def pipeline() -> list[bool]:
        return [f.result() for f in (meet.submit(), meet.submit())]

    assert pipeline() == [True, True]


def test_thread_pool_with_one_worker_runs_every_task_on_one_thread(
    backend: InMemoryBackend,
) -> None:
    @task
    def thread_id(_: int) -> int:
        return threading.get_ident()

    @flow(task_runner=ThreadPoolTaskRunner(max_workers=1))
    def pipeline() -> list[int]:
        return thread_id.map(range(50)).result()

    threads = set(pipeline())
    assert len(threads) == 1
    assert threading.get_ident() not in threads


@pytest.mark.parametrize("bad", [0, -1, 1.5])
def test_task_runner_rejects_bad_max_workers(bad: object) -> None:
    with pytest.raises(DefinitionError, match="max_workers"):
        ThreadPoolTaskRunner(bad)  # type: ignore[arg-type]
    with pytest.raises(DefinitionError, match="max_workers"):
        ProcessPoolTaskRunner(bad)  # type: ignore[arg-type]


def test_flow_rejects_something_that_is_not_a_task_runner() -> None:
    with pytest.raises(DefinitionError, match="task_runner="):
        flow(task_runner="threads")(lambda: None)


def test_process_pool_runs_tasks_elsewhere_with_logs_and_retries(
    backend: InMemoryBackend, tmp_path: Path
) -> None:
    marker = str(tmp_path / "attempted")

    @flow(task_runner=ProcessPoolTaskRunner(max_workers=2), log_prints=True)
    def pipeline() -> tuple[list[tuple[int, int]], str]:
        squares = pid_and_square.map([1, 2, 3])
        retried = fails_first_time.submit(marker)
        return squares.result(), retried.result()

    squares, retried = pipeline()
    assert [value for _, value in squares] == [1, 4, 9]
    assert all(pid != os.getpid() for pid, _ in squares)
    assert retried == "second attempt"
    runs = task_runs(backend)
    assert runs["fails_first_time-0"].state is S.COMPLETED
    assert runs["fails_first_time-0"].attempts == 2
    run_id = only_flow_run(backend).id
    for i in range(3):
        task_id = runs[f"pid_and_square-0[{i}]"].id
        messages = [log.message for log in backend.read_logs(run_id, task_run_id=task_id)]
        assert messages == [f"squaring {i + 1}", f"printed {i + 1}"]


def test_dask_runner_maps_with_legato_retries(backend: InMemoryBackend, tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    from legato.task_runners import DaskTaskRunner

    marker = str(tmp_path / "attempted")
    runner = DaskTaskRunner(cluster_kwargs={"n_workers": 1, "threads_per_worker": 1})

    @flow(task_runner=runner)
    def pipeline() -> tuple[list[int], str]:
        squares = square.map([1, 2, 3])
        retried = fails_first_time.submit(marker)
        return squares.result(), retried.result()

    # Dask's default HTTP port may be taken (another cluster, another test run): the runner
    # must not need it.
    with contextlib.ExitStack() as stack:
        try:
            taken = stack.enter_context(socket.socket())
            taken.bind(("0.0.0.0", 8787))
            taken.listen()
        except OSError:
            pass  # already taken by someone else: the same situation
        assert pipeline() == ([1, 4, 9], "second attempt")
    runs = task_runs(backend)
    assert runs["fails_first_time-0"].attempts == 2
    assert runs["fails_first_time-0"].state is S.COMPLETED
    assert all(runs[f"square-0[{i}]"].state is S.COMPLETED for i in range(3))
