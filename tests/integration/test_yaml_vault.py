"""`{{secrets.NAME}}` and `{{variables.NAME}}` in YAML workflows on a real store (SQLite and
PostgreSQL): values reach steps through env and argv, secret values are masked in the step
logs and never stored with the run's parameters; unknown names and secrets in script
sources are errors naming them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from legato.engine.masking import MASK, forget_secrets
from legato.orchestration.keyring import Keyring, new_key
from legato.orchestration.local import LocalBackend
from legato.sdk import runtime
from legato.settings import Settings
from legato.store.database import Database
from legato.testing import legato_test_harness
from legato.workflows.flow import load_yaml_flow

TOKEN = "ghp_yamlSecretValue123"
WORKFLOW = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: uses-vault}
spec:
  entrypoint: main
  arguments:
    parameters:
      - {name: region, value: "{{variables.region}}"}
  templates:
    - name: main
      inputs:
        parameters: [{name: region}]
      container:
        image: busybox
        command: [sh, -c]
        args: ['echo "greeting {{variables.greeting}} in {{inputs.parameters.region}}";
                echo "token $API_TOKEN"; test ${#API_TOKEN} -eq TOKEN_LENGTH']
        env:
          - {name: API_TOKEN, value: "{{secrets.api-token}}"}
""".replace("TOKEN_LENGTH", str(len(TOKEN)))

IN_SOURCE = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: leaky}
spec:
  entrypoint: main
  templates:
    - name: main
      script:
        image: python:3.12
        command: [python]
        source: |
          print("{{secrets.api-token}}")
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


def run(path: Path, text: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    path.write_text(text)
    monkeypatch.setenv("LEGATO_HOME", str(tmp_path / "home"))
    flow = load_yaml_flow(str(path), settings=Settings.from_env())
    state = runtime.run_flow(flow, {})
    assert state.flow_run_id is not None
    return state.flow_run_id


def test_secret_and_variables_reach_the_step_and_the_secret_is_masked(
        backend: LocalBackend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    backend.write_secret("api-token", TOKEN)
    backend.write_variable("greeting", "hello")
    backend.write_variable("region", "eu-west")
    run_id = run(tmp_path / "vault.yaml", WORKFLOW, monkeypatch, tmp_path)
    flow_run = backend.read_flow_run(run_id)
    assert flow_run.state.value == "COMPLETED", flow_run.state_message
    messages = [log.message for log in backend.read_logs(run_id)]
    assert "greeting hello in eu-west" in messages
    assert f"token {MASK}" in messages
    assert not any(TOKEN in m for m in messages)
    assert TOKEN not in repr(flow_run.parameters)


def test_unknown_secret_fails_the_run_naming_it(
        backend: LocalBackend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    backend.write_variable("greeting", "hello")
    backend.write_variable("region", "eu-west")
    run_id = run(tmp_path / "vault.yaml", WORKFLOW, monkeypatch, tmp_path)
    flow_run = backend.read_flow_run(run_id)
    assert flow_run.state.value == "FAILED"
    assert "{{secrets.api-token}} names no stored secret" in (flow_run.state_message or "")
    assert "legato secrets set api-token" in (flow_run.state_message or "")


def test_secret_in_a_script_source_is_refused(
        backend: LocalBackend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    backend.write_secret("api-token", TOKEN)
    run_id = run(tmp_path / "leaky.yaml", IN_SOURCE, monkeypatch, tmp_path)
    flow_run = backend.read_flow_run(run_id)
    assert flow_run.state.value == "FAILED"
    assert "script's source" in (flow_run.state_message or "")
    assert "env" in (flow_run.state_message or "")
