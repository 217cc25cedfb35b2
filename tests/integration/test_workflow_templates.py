"""WorkflowTemplates registered with the server, on SQLite and PostgreSQL: applied with the
checks of `legato validate` (problems at file:line:col, also as problem+json), versioned,
listed, shown and deleted through the API and `legato templates`; a templateRef found in no
file resolves to a registered template for `legato run`, for a deployment (pinned with its
version, so a later change does not alter the deployed version's runs) and for a worker's
run of a source that lacks it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from click.testing import CliRunner, Result

from legato._clock import FakeClock
from legato.cli.main import cli
from legato.errors import Conflict, ManifestError, NotFound
from legato.orchestration import workflow_templates as door
from legato.orchestration.local import LocalBackend
from legato.sdk import runtime
from legato.store.database import Database
from legato.testing import legato_test_harness
from legato.workflows.flow import load_yaml_flow

from .live_server import ServerThread


def template(word: str, name: str = "shared") -> str:
    return f"""apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: {{name: {name}}}
spec:
  templates:
    - name: greet
      inputs: {{parameters: [{{name: who}}]}}
      container: {{image: busybox, command: [echo, "{word} {{{{inputs.parameters.who}}}}"]}}
"""


WORKFLOW = """apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: uses-shared}
spec:
  entrypoint: main
  templates:
    - name: main
      steps:
        - - name: greet
            templateRef: {name: shared, template: greet}
            arguments: {parameters: [{name: who, value: Ada}]}
"""

BROKEN = """apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: {name: broken}
spec:
  templates:
    - name: a
      steps:
        - - {name: s, template: missing}
"""


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> Iterator[LocalBackend]:
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    local = LocalBackend(Database(url), clock=FakeClock())
    try:
        yield local
    finally:
        local.close()


def test_applying_creates_then_versions_only_real_changes(backend: LocalBackend) -> None:
    now = backend.clock.now()
    [(first, change)] = door.apply_templates(backend.db, template("hello"), "t.yaml", now=now,
                                             replace=True)
    assert (first.kind, first.name, first.version, change) == (
        "WorkflowTemplate", "shared", 1, "created")
    [(same, change)] = door.apply_templates(backend.db, template("hello"), "t.yaml", now=now,
                                            replace=True)
    assert (same.version, change) == (1, "unchanged")
    [(changed, change)] = door.apply_templates(backend.db, template("hi"), "t.yaml", now=now,
                                               replace=True)
    assert (changed.version, change) == (2, "updated")
    with pytest.raises(Conflict, match="registered already"):
        door.apply_templates(backend.db, template("x"), "t.yaml", now=now, replace=False)
    stored = backend.read_workflow_template("shared")
    assert stored is not None and "hi {{inputs.parameters.who}}" in stored.source
    assert backend.read_workflow_template("shared", cluster_scope=True) is None


def test_a_bad_manifest_is_refused_with_every_problem_and_nothing_stored(
        backend: LocalBackend) -> None:
    now = backend.clock.now()
    with pytest.raises(ManifestError) as caught:
        door.apply_templates(backend.db, BROKEN, "broken.yaml", now=now, replace=True)
    assert caught.value.problems[0].startswith("broken.yaml:8:"), caught.value.problems
    assert "missing" in caught.value.problems[0]
    with pytest.raises(ManifestError, match="a Workflow cannot be registered"):
        door.apply_templates(backend.db, WORKFLOW.replace("shared, template", "x, template")
                             + "---\n" + template("a", "x"), "wf.yaml", now=now, replace=True)
    assert door.list_templates(backend.db) == []


def test_templates_may_refer_to_templates_registered_before(backend: LocalBackend) -> None:
    now = backend.clock.now()
    door.apply_templates(backend.db, template("hello"), "t.yaml", now=now, replace=True)
    caller = template("unused", "caller").replace(
        "    - name: greet\n", "    - name: call\n      steps:\n        - - {name: g, "
        "templateRef: {name: shared, template: greet}, arguments: {parameters: [{name: who, "
        "value: x}]}}\n    - name: greet\n")
    [(record, _)] = door.apply_templates(backend.db, caller, "c.yaml", now=now, replace=True)
    assert record.name == "caller"
    page = door.list_templates(backend.db, limit=1)
    assert [r.name for r in page] == ["caller"]
    assert [r.name for r in door.list_templates(backend.db, after=("WorkflowTemplate",
                                                                   "caller"))] == ["shared"]
    door.delete_template(backend.db, "shared")
    with pytest.raises(NotFound, match="legato templates ls"):
        door.delete_template(backend.db, "shared")


def test_the_api_reports_problems_as_problem_json_with_their_places(
        server: ServerThread) -> None:
    with httpx.Client(base_url=server.url.removesuffix("/api/v1"), timeout=30) as client:
        check_api(client)


def check_api(client: httpx.Client) -> None:
    bad = client.put("/api/v1/workflow-templates", json={"source": BROKEN,
                                                          "filename": "broken.yaml"})
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert bad.json()["errors"][0]["field"].startswith("broken.yaml:8:")
    made = client.post("/api/v1/workflow-templates", json={"source": template("hello"),
                                                           "filename": "t.yaml"})
    assert made.status_code == 201, made.text
    assert made.json()["items"][0]["change"] == "created"
    again = client.post("/api/v1/workflow-templates", json={"source": template("hello")})
    assert again.status_code == 409
    shown = client.get("/api/v1/workflow-templates/shared").json()
    assert (shown["version"], shown["kind"]) == (1, "WorkflowTemplate")
    assert "hello" in shown["source"]
    assert client.get("/api/v1/workflow-templates/shared?cluster=true").status_code == 404
    assert client.delete("/api/v1/workflow-templates/shared").status_code == 204
    assert client.get("/api/v1/workflow-templates").json()["items"] == []


def _run(flow: Any, backend: LocalBackend) -> list[str]:
    with legato_test_harness(backend, clock=backend.clock):
        state = runtime.run_flow(flow, {})
    assert state.type.value == "COMPLETED", state.message
    assert state.flow_run_id is not None
    return [log.message for log in backend.read_logs(state.flow_run_id)
            if log.message.endswith("Ada")]


def test_a_deployed_workflow_keeps_the_template_version_it_was_pinned_to(
        backend: LocalBackend, tmp_path: Path) -> None:
    now = backend.clock.now()
    door.apply_templates(backend.db, template("hello"), "t.yaml", now=now, replace=True)
    path = tmp_path / "uses-shared.yaml"
    path.write_text(WORKFLOW, encoding="utf-8")
    with pytest.raises(ManifestError, match="shared"):
        load_yaml_flow(str(path))  # no file holds it, and no backend to ask
    flow = load_yaml_flow(str(path), backend=backend)
    pinned = flow.spec().source
    assert "# WorkflowTemplate shared version 1" in pinned
    assert _run(flow, backend) == ["hello Ada"]
    door.apply_templates(backend.db, template("changed"), "t.yaml", now=now, replace=True)
    # A run of the pinned version (a worker's, a retry's) runs the template it was pinned to.
    again = runtime.load_pinned_flow(str(path), pinned, flow.spec().source_hash, backend=backend)
    assert _run(again, backend) == ["hello Ada"]
    # A fresh load (a new deploy, a new `legato run`) takes the new version.
    assert _run(load_yaml_flow(str(path), backend=backend), backend) == ["changed Ada"]
    # A pinned source made before the template was registered gets it at run time.
    late = runtime.load_pinned_flow(str(path), WORKFLOW, "", backend=backend)
    assert _run(late, backend) == ["changed Ada"]


@pytest.fixture
def server(backend: LocalBackend) -> Iterator[ServerThread]:
    started = ServerThread(backend)
    started.start()
    yield started
    started.stop()


def legato(server: ServerThread, *args: str, status: int = 0) -> Result:
    result = CliRunner().invoke(cli, [*args, "--api-url", server.url])
    assert result.exit_code == status, (result.output, result.exception)
    return result


def test_the_templates_commands_apply_list_show_and_remove(
        server: ServerThread, backend: LocalBackend, tmp_path: Path) -> None:
    good = tmp_path / "shared.yaml"
    good.write_text(template("hello"), encoding="utf-8")
    assert "WorkflowTemplate shared: created (version 1)" in legato(
        server, "templates", "apply", str(good)).output
    good.write_text(template("hi"), encoding="utf-8")
    assert "updated (version 2)" in legato(server, "templates", "apply", str(good)).output
    refused = legato(server, "templates", "apply", "--create-only", str(good), status=2)
    assert "registered already" in refused.output
    broken = tmp_path / "broken.yaml"
    broken.write_text(BROKEN, encoding="utf-8")
    assert f"{broken}:8:" in legato(server, "templates", "apply", str(broken), status=2).output
    listed = orjson.loads(legato(server, "templates", "ls", "--json").output)
    assert [(t["name"], t["version"]) for t in listed] == [("shared", 2)]
    assert "hi {{inputs.parameters.who}}" in legato(server, "templates", "show", "shared").output
    assert "removed" in legato(server, "templates", "rm", "shared").output
    assert "not registered" in legato(server, "templates", "rm", "shared", status=2).output


def test_a_run_with_a_server_configured_resolves_templates_over_http(
        server: ServerThread, backend: LocalBackend, tmp_path: Path) -> None:
    from legato.client.http import HttpBackend

    door.apply_templates(backend.db, template("remote"), "t.yaml", now=backend.clock.now(),
                         replace=True)
    path = tmp_path / "uses-shared.yaml"
    path.write_text(WORKFLOW, encoding="utf-8")
    remote = HttpBackend(server.url, timeout=30)
    try:
        flow = load_yaml_flow(str(path), backend=remote)
    finally:
        remote.close()
    assert "# WorkflowTemplate shared version 1" in flow.spec().source
    assert _run(flow, backend) == ["remote Ada"]


def test_validate_finds_templates_registered_with_the_server(
        server: ServerThread, backend: LocalBackend, tmp_path: Path) -> None:
    path = tmp_path / "uses-shared.yaml"
    path.write_text(WORKFLOW, encoding="utf-8")
    missing = CliRunner().invoke(cli, ["validate", str(path), "--api-url", server.url])
    assert missing.exit_code == 2 and "shared" in missing.output
    door.apply_templates(backend.db, template("hello"), "t.yaml", now=backend.clock.now(),
                         replace=True)
    found = CliRunner().invoke(cli, ["validate", str(path), "--api-url", server.url])
    assert found.exit_code == 0, found.output
    assert found.output.startswith("ok: 1 workflow")


def test_legato_run_with_a_server_configured_uses_its_registered_templates(
        server: ServerThread, backend: LocalBackend, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    door.apply_templates(backend.db, template("served"), "t.yaml", now=backend.clock.now(),
                         replace=True)
    path = tmp_path / "uses-shared.yaml"
    path.write_text(WORKFLOW, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEGATO_")}
    env.update(LEGATO_API_URL=server.url, LEGATO_HOME=str(tmp_path / "home"))
    done = subprocess.run([sys.executable, "-m", "legato", "run", str(path)], env=env,
                          capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "served Ada" in done.stdout + done.stderr
    runs = backend.list_flow_runs(flow_name="uses-shared")
    assert [r.state.value for r in runs] == ["COMPLETED"]
