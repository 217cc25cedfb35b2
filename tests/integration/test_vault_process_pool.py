"""A task on the process-pool runner loads a secret in its own spawned process (through the
default backend that process builds from LEGATO_* settings): its log lines come back to the
flow's stored logs masked, and the flow's process learns the value with the attempt's outcome,
so the task's failure message and its stored result are masked too."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from legato import Secret, flow, get_run_logger, task
from legato.engine.masking import MASK, forget_secrets
from legato.engine.results import is_masked
from legato.engine.task_runners import ProcessPoolTaskRunner
from legato.orchestration.local import LocalBackend, create_local_backend
from legato.settings import Settings
from legato.testing import legato_test_harness

VALUE = "pool-secret-value-5150"


@task
def uses_secret() -> int:
    value = Secret.load("pool-token").get()
    get_run_logger().info("child sees %s", value)
    return len(value)


@task
def refused() -> None:
    raise PermissionError(f"login refused for password {Secret.load('pool-token').get()}")


@task
def returns_secret() -> dict[str, str]:
    return {"password": Secret.load("pool-token").get()}


@flow(task_runner=ProcessPoolTaskRunner(max_workers=1))
def pooled() -> int:
    return uses_secret.submit().result()


@flow(task_runner=ProcessPoolTaskRunner(max_workers=1))
def pooled_failure() -> None:
    refused.submit().result()


@flow(task_runner=ProcessPoolTaskRunner(max_workers=1))
def pooled_result() -> int:
    return len(returns_secret.submit().result()["password"])


@pytest.fixture
def backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalBackend]:
    monkeypatch.setenv("LEGATO_HOME", str(tmp_path))
    for name in ("LEGATO_DATABASE_URL", "LEGATO_API_URL", "LEGATO_SECRET_KEY",
                 "LEGATO_SECRET_KEYS", "LEGATO_BACKEND_FACTORY"):
        monkeypatch.delenv(name, raising=False)
    backend = create_local_backend(Settings.from_env())
    try:
        backend.write_secret("pool-token", VALUE)
        forget_secrets()  # the flow's process never loads the secret itself
        yield backend
    finally:
        forget_secrets()
        backend.close()


def test_pooled_task_loads_a_secret_and_its_logs_are_masked(backend: LocalBackend) -> None:
    with legato_test_harness(backend):
        state = pooled(return_state=True)
    assert state.type.value == "COMPLETED", state.message
    assert state.flow_run_id is not None
    messages = [log.message for log in backend.read_logs(state.flow_run_id)]
    assert f"child sees {MASK}" in messages
    assert not any(VALUE in m for m in messages)


def test_pooled_task_failing_with_a_secret_has_it_masked_in_its_failure_message(
        backend: LocalBackend) -> None:
    with legato_test_harness(backend):
        state = pooled_failure(return_state=True)
    assert state.type.value == "FAILED"
    assert state.flow_run_id is not None
    (task_run,) = backend.read_task_runs(state.flow_run_id)
    assert task_run.state_message == f"PermissionError: login refused for password {MASK}"
    flow_run = backend.read_flow_run(state.flow_run_id)
    assert VALUE not in (flow_run.state_message or "") and MASK in (flow_run.state_message or "")
    events = backend.read_state_events(state.flow_run_id)
    logs = backend.read_logs(state.flow_run_id)
    assert not any(VALUE in (e.message or "") for e in events)
    assert not any(VALUE in log.message for log in logs)


def test_pooled_task_returning_a_secret_has_its_stored_result_masked(
        backend: LocalBackend) -> None:
    with legato_test_harness(backend):
        state = pooled_result(return_state=True)
    assert state.result() == len(VALUE)  # the flow got the real value
    assert state.flow_run_id is not None
    (task_run,) = backend.read_task_runs(state.flow_run_id)
    assert task_run.result is not None and is_masked(task_run.result)
    assert task_run.result.data == b'{"password":"' + MASK.encode() + b'"}'
