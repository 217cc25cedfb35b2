"""Secret and Variable from flows and tasks, and masking: a loaded secret's value never
reaches a stored log line, captured print, state message or artifact; values shorter than
MIN_MASKED_LENGTH are left alone."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from legato import Secret, Variable, create_markdown_artifact, flow, get_run_logger, task
from legato.engine.masking import MASK, MIN_MASKED_LENGTH, forget_secrets, mask
from legato.errors import Conflict, NotFound
from legato.testing import InMemoryBackend

VALUE = "tok_9f8e7d6c5b4a"


@pytest.fixture(autouse=True)
def fresh_masks() -> Iterator[None]:
    forget_secrets()
    yield
    forget_secrets()


def test_flow_loads_a_secret_and_reads_variables(backend: InMemoryBackend) -> None:
    backend.write_secret("api-token", VALUE)
    backend.write_variable("batch_size", 250)

    @flow
    def job() -> tuple[str, int, str]:
        return (Secret.load("api-token").get(), Variable.get("batch_size", 10),
                Variable.get("missing", "fallback"))

    assert job() == (VALUE, 250, "fallback")


def test_secret_repr_never_shows_the_value(backend: InMemoryBackend) -> None:
    backend.write_secret("api-token", VALUE)
    secret = Secret.load("api-token")
    assert VALUE not in repr(secret) and VALUE not in str(secret) and MASK in repr(secret)


def test_loaded_secret_is_masked_in_logs_prints_and_artifacts(backend: InMemoryBackend) -> None:
    backend.write_secret("api-token", VALUE)

    @task(log_prints=True)
    def call_api() -> str:
        token = Secret.load("api-token").get()
        get_run_logger().info("calling with token=%s", token)
        print("printed", token)
        create_markdown_artifact(f"# used {token}", key="report")
        return "ok"

    @flow
    def job() -> str:
        return call_api()

    state = job(return_state=True)
    messages = [log.message for log in backend.read_logs(state.flow_run_id)]
    assert f"calling with token={MASK}" in messages
    assert f"printed {MASK}" in messages
    assert not any(VALUE in m for m in messages)
    (artifact,) = backend.artifacts
    assert artifact.data == f"# used {MASK}"


def test_failure_message_with_a_secret_is_masked(backend: InMemoryBackend) -> None:
    backend.write_secret("pw", VALUE)

    @task
    def connect() -> None:
        raise ValueError(f"login refused for password {Secret.load('pw').get()}")

    @flow
    def job() -> None:
        connect()

    state = job(return_state=True)
    (task_run,) = backend.read_task_runs(state.flow_run_id)
    assert task_run.state_message is not None and MASK in task_run.state_message
    assert VALUE not in task_run.state_message
    flow_run = backend.read_flow_run(state.flow_run_id)
    assert VALUE not in (flow_run.state_message or "")


def test_short_values_are_not_masked(backend: InMemoryBackend) -> None:
    short = "x" * (MIN_MASKED_LENGTH - 1)
    backend.write_secret("short", short)
    Secret.load("short")
    assert mask(f"value {short}") == f"value {short}"


def test_multiline_secret_is_masked_line_by_line(backend: InMemoryBackend) -> None:
    pem = "-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END KEY-----"
    backend.write_secret("pem", pem)
    Secret.load("pem")
    assert mask(f"key: {pem}") == f"key: {MASK}"
    assert mask("line MIIEvQIBADANBgkqhkiG9w0BAQEFAASC here") == f"line {MASK} here"


def test_variable_set_refuses_to_overwrite_unless_asked(backend: InMemoryBackend) -> None:
    Variable.set("env", "prod")
    with pytest.raises(Conflict, match="'env' exists already"):
        Variable.set("env", "dev")
    Variable.set("env", "dev", overwrite=True)
    assert Variable.get("env") == "dev"
    assert Variable.unset("env") is True and Variable.unset("env") is False


def test_loading_a_missing_secret_names_it_and_the_fix(backend: InMemoryBackend) -> None:
    with pytest.raises(NotFound, match=r"secret 'nope' does not exist.*legato secrets set nope"):
        Secret.load("nope")


def test_saved_secret_round_trips(backend: InMemoryBackend) -> None:
    Secret.save("new", VALUE)
    assert Secret.load("new").get() == VALUE
    assert mask(VALUE) == MASK
