"""YAML workflows on a real store, SQLite and PostgreSQL: node paths as task keys (brackets,
parentheses, quotes, very deep paths cut to a digest) are stored and reused on retry."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from legato.orchestration.local import LocalBackend
from legato.sdk import runtime
from legato.settings import Settings
from legato.store.database import Database
from legato.testing import legato_test_harness
from legato.workflows.flow import load_yaml_flow
from legato.workflows.nodes import MAX_KEY

DEEP = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: deep}
spec:
  entrypoint: main
  templates:
    - name: main
      steps:
        - - name: outer-step-with-a-rather-long-name
            template: middle
            withItems: [{"first": "a value long enough to make node paths long", "n": 1}]
    - name: middle
      steps:
        - - name: middle-step-with-a-rather-long-name
            template: inner
            withItems: [{"second": "another value long enough to make node paths long"}]
    - name: inner
      steps:
        - - name: innermost-step-with-a-rather-long-name
            template: leaf
            withItems: [{"third": "and a third value so that the path is over the key limit"}]
          - name: fails-until-fixed
            template: check
    - name: leaf
      container: {image: busybox, command: [echo, "leaf ran"]}
    - name: check
      container: {image: busybox, command: [sh, -c, 'test -z "$YAML_DB_FAIL"']}
"""


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


def test_deep_node_paths_are_stored_and_reused_on_retry(
        backend: LocalBackend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text(DEEP)
    monkeypatch.setenv("LEGATO_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("YAML_DB_FAIL", "1")
    flow = load_yaml_flow(str(path), settings=Settings.from_env())
    state = runtime.run_flow(flow, {})
    assert state.type.value == "FAILED"
    run_id = state.flow_run_id
    assert run_id is not None
    runs = {t.task_key: t for t in backend.read_task_runs(run_id)}
    assert len(runs) == 2
    assert all(len(key) <= MAX_KEY for key in runs)
    leaf = next(t for k, t in runs.items() if "innermost" in k)
    assert leaf.state.value == "COMPLETED" and "~" in leaf.task_key
    monkeypatch.delenv("YAML_DB_FAIL")
    assert runtime.retry_flow_run(run_id).type.value == "COMPLETED"
    again = {t.task_key: t for t in backend.read_task_runs(run_id)}
    assert set(again) == set(runs)
    assert again[leaf.task_key].attempts == 1
    assert all(t.state.value == "COMPLETED" for t in again.values())
