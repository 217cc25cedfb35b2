"""A task on the process-pool runner loads a secret in its own spawned process (through the
default backend that process builds from LEGATO_* settings) and its log lines come back to
the flow's stored logs masked."""

from __future__ import annotations

from pathlib import Path

import pytest

from legato import Secret, flow, get_run_logger, task
from legato.engine.masking import MASK, forget_secrets
from legato.engine.task_runners import ProcessPoolTaskRunner
from legato.orchestration.local import create_local_backend
from legato.settings import Settings
from legato.testing import legato_test_harness

VALUE = "pool-secret-value-5150"


@task
def uses_secret() -> int:
    value = Secret.load("pool-token").get()
    get_run_logger().info("child sees %s", value)
    return len(value)


@flow(task_runner=ProcessPoolTaskRunner(max_workers=1))
def pooled() -> int:
    return uses_secret.submit().result()


def test_pooled_task_loads_a_secret_and_its_logs_are_masked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEGATO_HOME", str(tmp_path))
    for name in ("LEGATO_DATABASE_URL", "LEGATO_API_URL", "LEGATO_SECRET_KEY",
                 "LEGATO_SECRET_KEYS", "LEGATO_BACKEND_FACTORY"):
        monkeypatch.delenv(name, raising=False)
    backend = create_local_backend(Settings.from_env())
    forget_secrets()  # the flow's process never loads the secret itself
    try:
        backend.write_secret("pool-token", VALUE)
        forget_secrets()
        with legato_test_harness(backend):
            state = pooled(return_state=True)
        assert state.type.value == "COMPLETED", state.message
        assert state.flow_run_id is not None
        messages = [log.message for log in backend.read_logs(state.flow_run_id)]
        assert f"child sees {MASK}" in messages
        assert not any(VALUE in m for m in messages)
    finally:
        backend.close()
