"""Secrets and variables end to end with the real `legato` command: set from stdin, listed
without values, loaded by a flow (embedded, on SQLite and PostgreSQL) whose logs show the
value masked, keys rotated; and a worker's run loading a secret over the API from a server
whose key the worker does not have."""

from __future__ import annotations

import base64
import os
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import orjson
import pytest

from legato.client.http import HttpBackend
from legato.core.ids import new_id
from legato.core.records import NewFlowRun
from legato.core.states import StateType as S
from legato.engine.masking import MASK
from legato.orchestration.keyring import KEY_FILE_NAME, new_key

from .cli import LEGATO, Legato, describe
from .test_server import ServerProcess, free_port, wait_until_healthy
from .test_workers import Processes, wait_for

VALUE = "pg-Pa55word-e2e-42"
FLOWS = '''
from legato import Secret, Variable, flow, get_run_logger, task


@task(log_prints=True)
def connect(name: str) -> int:
    password = Secret.load(name).get()
    get_run_logger().info("connecting with password=%s", password)
    print("print shows", password)
    return len(password)


@flow
def uses_secret(name: str = "db-password") -> int:
    get_run_logger().info("batch size %s", Variable.get("batch_size", 1))
    return connect(name)


@task
def credentials(name: str) -> dict[str, str]:
    return {"user": "svc", "password": Secret.load(name).get()}


@task
def login(creds: dict[str, str]) -> int:
    return len(creds["password"])


@flow
def returns_secret(name: str = "db-password") -> dict[str, object]:
    creds = credentials(name)
    return {"length": login(creds), "creds": creds}
'''


def run_with_input(legato: Legato, text: str, *args: str,
                   env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LEGATO), *args], input=text, capture_output=True, text=True,
                          env=env or legato.env(), cwd=legato.home.parent, timeout=180,
                          check=False)


def ok(completed: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert completed.returncode == 0, describe(completed)
    return completed


def test_cli_sets_lists_and_a_flow_loads_a_masked_secret(legato: Legato, tmp_path: Path) -> None:
    ok(run_with_input(legato, VALUE + "\n", "secrets", "set", "db-password", "--value-stdin"))
    listed = legato.json("secrets", "ls")
    assert [s["name"] for s in listed] == ["db-password"]
    assert VALUE not in ok(legato("secrets", "ls")).stdout
    ok(legato("variables", "set", "batch_size", "500"))
    assert ok(legato("variables", "get", "batch_size")).stdout.strip() == "500"
    assert legato.json("variables", "ls")[0]["value"] == 500
    flows = tmp_path / "flows.py"
    flows.write_text(FLOWS)
    run = legato("run", f"{flows}:uses_secret", "--json")
    assert run.returncode == 0, describe(run)
    assert VALUE not in run.stdout and VALUE not in run.stderr
    payload = legato.json("run", f"{flows}:uses_secret")
    assert payload["result"] == len(VALUE)
    messages = [line["message"] for line in legato.json("runs", "logs", payload["flow_run_id"])]
    assert "batch size 500" in messages
    assert f"connecting with password={MASK}" in messages and f"print shows {MASK}" in messages
    assert not any(VALUE in m for m in messages)
    ok(legato("secrets", "rm", "db-password"))
    ok(legato("variables", "rm", "batch_size"))
    assert legato.json("secrets", "ls") == [] and legato.json("variables", "ls") == []
    missing = legato("secrets", "rm", "db-password")
    assert missing.returncode != 0 and "secret 'db-password' does not exist" in missing.stderr


def test_rotate_key_moves_secrets_to_the_new_key(sqlite_legato: Legato, tmp_path: Path) -> None:
    legato = sqlite_legato
    ok(run_with_input(legato, VALUE, "secrets", "set", "db-password", "--value-stdin"))
    old = (legato.home / KEY_FILE_NAME).read_text().strip()
    new = new_key()
    rotating = {**legato.env(), "LEGATO_SECRET_KEYS": f"{new},{old}"}
    rotated = ok(run_with_input(legato, "", "secrets", "rotate-key", env=rotating))
    assert "1 secret(s) re-encrypted" in rotated.stdout
    flows = tmp_path / "flows.py"
    flows.write_text(FLOWS)
    only_new = {**legato.env(), "LEGATO_SECRET_KEY": new}
    (legato.home / KEY_FILE_NAME).unlink()
    loaded = run_with_input(legato, "", "run", f"{flows}:uses_secret", env=only_new)
    assert loaded.returncode == 0, describe(loaded)
    wrong = run_with_input(legato, "", "run", f"{flows}:uses_secret",
                           env={**legato.env(), "LEGATO_SECRET_KEY": old})
    assert wrong.returncode != 0
    assert "cannot be decrypted" in wrong.stdout + wrong.stderr
    assert "LEGATO_SECRET_KEY" in wrong.stdout + wrong.stderr


@pytest.fixture
def server_and_worker_env(tmp_path: Path) -> Iterator[tuple[Processes, Processes]]:
    server_home, worker_home = tmp_path / "server-home", tmp_path / "worker-home"
    server_home.mkdir()
    worker_home.mkdir()
    server_env = {**Legato(server_home).env(), "LEGATO_SECRET_KEY": new_key()}
    worker_env = Legato(worker_home).env()  # no key, another database: only the API helps
    server, worker = Processes(tmp_path, server_env), Processes(tmp_path, worker_env)
    try:
        yield server, worker
    finally:
        worker.kill_all()
        server.kill_all()


def test_worker_run_loads_the_secret_over_the_api(
    server_and_worker_env: tuple[Processes, Processes], tmp_path: Path
) -> None:
    servers, workers = server_and_worker_env
    port = free_port()
    process = servers.start("server", "server", "--port", str(port), "--no-worker",
                            "--no-monitor")
    server = ServerProcess(process, f"http://127.0.0.1:{port}/api/v1")  # type: ignore[arg-type]
    wait_until_healthy(server)
    flows = tmp_path / "flows.py"
    flows.write_text(FLOWS)
    api = HttpBackend(server.url, timeout=10)
    try:
        api.write_secret("db-password", VALUE)
        api.write_variable("batch_size", 7)
        run_id = new_id()
        api.create_flow_run(NewFlowRun(run_id, "uses_secret", "e2e-secret", {}, S.SCHEDULED,
                                       datetime.now(UTC), entrypoint=f"{flows}:uses_secret"))
        workers.start("worker", "worker", "--queue", "default", "--name", "w1", "--api-url",
                      server.url, "--poll-seconds", "0.05")
        wait_for(lambda: api.read_flow_run(run_id).state in (S.COMPLETED, S.FAILED),
                 "the run finished", seconds=60)
        finished = api.read_flow_run(run_id)
        assert finished.state is S.COMPLETED, finished.state_message
        messages = [log.message for log in api.read_logs(run_id)]
        assert "batch size 7" in messages
        assert f"connecting with password={MASK}" in messages
        assert not any(VALUE in m for m in messages)
        assert VALUE not in (tmp_path / "worker.out").read_text()
        assert not os.path.exists(tmp_path / "worker-home" / KEY_FILE_NAME)

        # A result holding the secret travels to the server masked; the next task got the
        # real value (its length), and the API never answers with the value.
        leaky_id = new_id()
        api.create_flow_run(NewFlowRun(leaky_id, "returns_secret", "e2e-leaky", {},
                                       S.SCHEDULED, datetime.now(UTC),
                                       entrypoint=f"{flows}:returns_secret"))
        wait_for(lambda: api.read_flow_run(leaky_id).state in (S.COMPLETED, S.FAILED),
                 "the run returning a secret finished", seconds=60)
        leaky = api.read_flow_run(leaky_id)
        assert leaky.state is S.COMPLETED, leaky.state_message
        assert leaky.result is not None and leaky.result.serializer == "masked"
        assert orjson.loads(leaky.result.data or b"") == {
            "length": len(VALUE), "creds": {"user": "svc", "password": MASK}}
        results = {t.task_key: t.result for t in api.read_task_runs(leaky_id)}
        assert results["credentials-0"] is not None
        assert results["credentials-0"].serializer == "masked"
        for path in (f"/flow-runs/{leaky_id}", f"/flow-runs/{leaky_id}/task-runs"):
            answer = httpx.get(server.url + path, timeout=10)
            assert answer.status_code == 200, answer.text
            encoded = [base64.b64decode(str(ref["data"])) for ref in _result_refs(answer.json())
                       if ref.get("data")]
            assert VALUE not in answer.text and not any(VALUE.encode() in b for b in encoded)
    finally:
        api.close()


def _result_refs(document: object) -> list[dict[str, object]]:
    """Every result reference inside an API answer."""
    if isinstance(document, list):
        return [ref for item in document for ref in _result_refs(item)]
    if not isinstance(document, dict):
        return []
    own = [document] if "serializer" in document and "storage" in document else []
    return own + [ref for value in document.values() for ref in _result_refs(value)]
