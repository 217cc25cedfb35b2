"""YAML workflows end to end with the real `legato` executable: `legato run FILE.yaml` on the
examples, a manifest that fails validation never starts, a suspended step resumed with
`legato runs resume -i`, and `legato deploy FILE.yaml` executed by the embedded worker."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import orjson

from legato.client.http import HttpBackend
from legato.core.states import StateType as S
from legato.engine.results import deserialize

from .cli import EXAMPLES, LEGATO, Legato, describe
from .test_deploy import ok, run_cli
from .test_embedded import embedded_server, wait_for_state  # noqa: F401  (fixture)
from .test_server import ServerProcess

YAML = EXAMPLES / "yaml"


def test_run_hello_world_with_a_parameter(tmp_path: Path) -> None:
    legato = Legato(tmp_path / "home")
    outcome = legato.json("run", str(YAML / "hello-world.yaml"), "-p", "message=from e2e")
    assert outcome["state"] == "COMPLETED", outcome
    run_id = outcome["flow_run_id"]
    logs = legato("runs", "logs", run_id)
    assert "from e2e" in logs.stdout, describe(logs)
    shown = legato.json("runs", "show", run_id)
    assert [t["task_key"] for t in shown["task_runs"]] == ["hello-world"]


def test_run_dag_with_entrypoint_override(tmp_path: Path) -> None:
    legato = Legato(tmp_path / "home")
    outcome = legato.json("run", str(YAML / "dag-diamond.yaml"), "--entrypoint", "echo",
                          "-p", "message=direct")
    assert outcome["state"] == "COMPLETED", outcome
    logs = legato("runs", "logs", outcome["flow_run_id"])
    assert "direct" in logs.stdout, describe(logs)
    refused = legato("run", str(YAML / "dag-diamond.yaml"), "-p", "mesage=x")
    assert refused.returncode == 2 and "mesage" in refused.stderr, describe(refused)


def test_invalid_manifest_never_starts_and_names_the_place(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text((YAML / "steps.yaml").read_text().replace("template: print-message\n",
                                                             "template: print-mesage\n", 1))
    legato = Legato(tmp_path / "home")
    completed = legato("run", str(bad))
    assert completed.returncode != 0
    assert f"{bad}:" in completed.stderr and "print-mesage" in completed.stderr, \
        describe(completed)
    assert "did you mean" in completed.stderr
    assert legato.json("runs", "ls") == []


def test_suspended_step_waits_for_resume_with_input(tmp_path: Path) -> None:
    legato = Legato(tmp_path / "home")
    legato.home.mkdir(parents=True)
    process = subprocess.Popen(
        [str(LEGATO), "run", str(YAML / "suspend.yaml"), "--json"], env=legato.env(),
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        runs: list[dict[str, str]] = []
        while not runs:
            assert time.monotonic() < deadline, "the workflow never paused"
            assert process.poll() is None, process.communicate()
            time.sleep(0.2)
            runs = [r for r in legato.json("runs", "ls") if r["state"] == "PAUSED"]
        ok(legato("runs", "resume", runs[0]["id"], "-i", "approver=bob", "--json"))
        _stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, stderr
    logs = legato("runs", "logs", runs[0]["id"])
    assert "approved by bob" in logs.stdout, describe(logs)


def test_deployed_yaml_workflow_runs_on_the_embedded_worker(
    embedded_server: ServerProcess, tmp_path: Path  # noqa: F811
) -> None:
    home = tmp_path / "client-home"
    home.mkdir()
    url = embedded_server.url
    deployed = ok(run_cli(home, url, "deploy", str(YAML / "outputs.yaml"), "--json"))
    assert deployed["flow_name"] == "outputs" and deployed["name"] == "outputs"
    run = ok(run_cli(home, url, "deployments", "run", "outputs/outputs", "--json"))
    api = HttpBackend(url, timeout=10)
    try:
        wait_for_state(api, run["id"], S.COMPLETED, tmp_path / "server.out")
        ref = api.read_flow_run(run["id"]).result
        assert ref is not None and ref.data is not None
        result = deserialize(ref.serializer, ref.data, "outputs")
        assert result["outputs"]["parameters"] == {"greeting": "hello from produce"}
        keys = sorted(t.task_key for t in api.read_task_runs(run["id"]))
        assert keys == ["outputs[0].produce", "outputs[1].consume"]
    finally:
        api.close()


def test_deploy_cron_workflow_brings_its_schedules(
    embedded_server: ServerProcess, tmp_path: Path  # noqa: F811
) -> None:
    home = tmp_path / "client-home"
    home.mkdir()
    deployed = ok(run_cli(home, embedded_server.url, "deploy",
                          str(YAML / "cron-workflow.yaml"), "--paused", "--json"))
    assert [s["cron"] for s in deployed["schedules"]] == ["0 2 * * *", "30 14 * * 1-5"]
    assert {s["timezone"] for s in deployed["schedules"]} == {"Europe/Paris"}
    assert deployed["max_active_runs"] == 1
    assert deployed["paused"] is True


FLAKY = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: two-steps}
spec:
  entrypoint: main
  templates:
    - name: main
      steps:
        - - {name: first, template: first}
        - - {name: second, template: second}
    - name: first
      container: {image: busybox, command: [echo, first ran]}
    - name: second
      container: {image: busybox, command: [sh, -c, 'test -z "$YAML_E2E_FAIL"']}
"""


def test_runs_retry_resumes_a_failed_yaml_run_from_its_pinned_manifest(tmp_path: Path) -> None:
    legato = Legato(tmp_path / "home")
    legato.home.mkdir(parents=True)
    workflow = tmp_path / "flaky.yaml"
    workflow.write_text(FLAKY)
    failing = subprocess.run(
        [str(LEGATO), "run", str(workflow), "--json"], capture_output=True, text=True,
        env={**legato.env(), "YAML_E2E_FAIL": "1"}, cwd=tmp_path, timeout=120, check=False)
    assert failing.returncode == 1, describe(failing)
    run_id = orjson.loads(failing.stdout)["flow_run_id"]
    workflow.write_text("this file changed; the run's pinned manifest is used")
    retried = legato.json("runs", "retry", run_id)
    assert retried["state"] == "COMPLETED", retried
    shown = legato.json("runs", "show", run_id)
    assert {t["task_key"]: t["state"] for t in shown["task_runs"]} == {
        "two-steps[0].first": "COMPLETED", "two-steps[1].second": "COMPLETED"}
    logs = legato("runs", "logs", run_id)
    assert logs.stdout.count("first ran") == 1, describe(logs)
