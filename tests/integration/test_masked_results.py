"""Results holding a secret on a real store (SQLite and PostgreSQL): the downstream task gets
the real value, while the stored task and flow results, the API's task-run and flow-run
answers and `legato runs show` only ever hold the masked form; a retry re-executes the task
whose result was masked; a YAML step echoing `{{secrets.X}}` into its outputs is masked the
same way."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from click.testing import CliRunner

from legato.cli.main import cli
from legato.core.states import StateType
from legato.engine.masking import MASK, forget_secrets
from legato.engine.results import HIDDEN, is_masked
from legato.orchestration.keyring import Keyring, new_key
from legato.orchestration.local import LocalBackend
from legato.sdk import runtime
from legato.settings import Settings
from legato.store.database import Database
from legato.testing import legato_test_harness
from legato.workflows.flow import load_yaml_flow

from .live_server import ServerThread

VALUE = "db-Pa55word-masked-9431"
FLOW_FILE = '''
from pathlib import Path
from legato import Secret, flow, task

@task
def fetch(workdir: str) -> dict[str, str]:
    with open(Path(workdir) / "fetch.log", "a") as fh:
        fh.write("x\\n")
    return {"user": "svc", "password": Secret.load("db-password").get()}

@task
def connect(creds: dict[str, str], workdir: str) -> int:
    if creds["password"] != Secret.load("db-password").get():
        raise RuntimeError("connect got something other than the real password")
    if not (Path(workdir) / "fixed").exists():
        raise RuntimeError("the database is not up yet")
    return 42

@flow
def leaky(workdir: str) -> dict[str, object]:
    creds = fetch(workdir)
    return {"rows": connect(creds, workdir), "creds": creds}
'''
WORKFLOW = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: echoes-secret}
spec:
  entrypoint: main
  templates:
    - name: main
      steps:
        - - {name: produce, template: produce}
        - - name: consume
            template: consume
            arguments:
              parameters:
                - {name: token, value: "{{steps.produce.outputs.parameters.token}}"}
    - name: produce
      container:
        image: busybox
        command: [sh, -c]
        args: ['echo "$API_TOKEN" > /tmp/token.txt; echo "stdout $API_TOKEN"']
        env:
          - {name: API_TOKEN, value: "{{secrets.api-token}}"}
      outputs:
        parameters:
          - {name: token, valueFrom: {path: /tmp/token.txt}}
          - {name: direct, value: "{{secrets.api-token}}"}
    - name: consume
      inputs:
        parameters: [{name: token}]
      container:
        image: busybox
        command: [sh, -c]
        args: ['test "$GOT" = "$API_TOKEN" && echo "consumer got the real token"']
        env:
          - {name: GOT, value: "{{inputs.parameters.token}}"}
          - {name: API_TOKEN, value: "{{secrets.api-token}}"}
"""


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> Iterator[LocalBackend]:
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    db = Database(url)
    backend = LocalBackend(db, keyring=Keyring([new_key()]))
    forget_secrets()
    try:
        with legato_test_harness(backend):
            yield backend
    finally:
        forget_secrets()
        backend.close()
        db.dispose()


@pytest.fixture
def api(backend: LocalBackend) -> Iterator[httpx.Client]:
    server = ServerThread(backend)
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            yield client
    finally:
        server.stop()


def assert_never_holds(value: str, document: Any) -> None:
    """`value` is nowhere in a JSON document, nor in any base64 result data inside it."""
    assert value not in orjson.dumps(document).decode()
    if isinstance(document, dict):
        if isinstance(document.get("serializer"), str) and document.get("data"):
            assert value.encode() not in base64.b64decode(document["data"])
        for item in document.values():
            assert_never_holds(value, item)
    elif isinstance(document, list):
        for item in document:
            assert_never_holds(value, item)


def assert_hidden_everywhere(backend: LocalBackend, api: httpx.Client, run_id: str) -> None:
    for task_run in backend.read_task_runs(run_id):
        if task_run.result is not None and task_run.result.data is not None:
            assert VALUE.encode() not in task_run.result.data
        if task_run.result is not None and task_run.result.path is not None:
            assert VALUE.encode() not in Path(task_run.result.path).read_bytes()
    answers = [api.get(f"/flow-runs/{run_id}"), api.get(f"/flow-runs/{run_id}/task-runs"),
               api.get(f"/flow-runs/{run_id}/graph")]
    for answer in answers:
        assert answer.status_code == 200, answer.text
        assert_never_holds(VALUE, answer.json())
    shown = CliRunner().invoke(cli, ["runs", "show", run_id, "--json"])
    assert shown.exit_code == 0, shown.output
    assert VALUE not in shown.output
    text = CliRunner().invoke(cli, ["runs", "show", run_id])
    assert text.exit_code == 0, text.output
    assert VALUE not in text.output


def test_a_secret_returned_by_a_task_is_masked_in_store_api_and_cli_and_retry_reruns_it(
        backend: LocalBackend, api: httpx.Client, tmp_path: Path) -> None:
    backend.write_secret("db-password", VALUE)
    source = tmp_path / "leaky.py"
    source.write_text(FLOW_FILE)
    workdir = tmp_path / "work"
    workdir.mkdir()
    leaky = runtime.load_flow(f"{source}:leaky")

    first = runtime.run_flow(leaky, {"workdir": str(workdir)})
    assert first.flow_run_id is not None
    run_id = first.flow_run_id
    failed = backend.read_flow_run(run_id)
    assert failed.state is StateType.FAILED
    assert "the database is not up yet" in (failed.state_message or "")  # got the real value
    runs = {t.task_key: t for t in backend.read_task_runs(run_id)}
    fetched = runs["fetch-0"]
    assert fetched.state is StateType.COMPLETED
    assert fetched.result is not None and is_masked(fetched.result)
    assert orjson.loads(fetched.result.data or b"") == {"user": "svc", "password": MASK}
    assert_hidden_everywhere(backend, api, run_id)
    document = orjson.loads(CliRunner().invoke(cli, ["runs", "show", run_id, "--json"]).stdout)
    (fetch_doc,) = [t for t in document["task_runs"] if t["task_key"] == "fetch-0"]
    assert fetch_doc["result"]["note"] == HIDDEN

    (workdir / "fixed").touch()
    second = runtime.retry_flow_run(run_id)
    assert second.is_completed(), second.message
    assert second.result() == {"rows": 42, "creds": {"user": "svc", "password": VALUE}}
    assert (workdir / "fetch.log").read_text() == "x\nx\n"  # the masked result was not reused
    flow_run = backend.read_flow_run(run_id)
    assert flow_run.state is StateType.COMPLETED
    assert flow_run.result is not None and is_masked(flow_run.result)
    assert orjson.loads(flow_run.result.data or b"") == {
        "rows": 42, "creds": {"user": "svc", "password": MASK}}
    assert_hidden_everywhere(backend, api, run_id)
    shown = CliRunner().invoke(cli, ["runs", "show", run_id])
    assert HIDDEN in shown.stdout and MASK in shown.stdout
    answer = api.get(f"/flow-runs/{run_id}").json()
    assert answer["result"]["serializer"] == "masked"


def test_a_yaml_step_echoing_a_secret_into_its_outputs_is_stored_masked(
        backend: LocalBackend, api: httpx.Client, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    backend.write_secret("api-token", VALUE)
    path = tmp_path / "echoes.yaml"
    path.write_text(WORKFLOW)
    monkeypatch.setenv("LEGATO_HOME", str(tmp_path / "home"))
    state = runtime.run_flow(load_yaml_flow(str(path), settings=Settings.from_env()), {})
    assert state.flow_run_id is not None
    run_id = state.flow_run_id
    flow_run = backend.read_flow_run(run_id)
    assert flow_run.state is StateType.COMPLETED, flow_run.state_message
    messages = [log.message for log in backend.read_logs(run_id)]
    assert "consumer got the real token" in messages
    results = {t.task_key: t.result for t in backend.read_task_runs(run_id)}
    produced = [ref for key, ref in results.items() if "produce" in key]
    assert len(produced) == 1 and produced[0] is not None and is_masked(produced[0])
    outputs = orjson.loads(produced[0].data or b"")
    assert outputs["parameters"] == {"token": MASK, "direct": MASK}
    assert outputs["result"] == f"stdout {MASK}"
    assert_hidden_everywhere(backend, api, run_id)
