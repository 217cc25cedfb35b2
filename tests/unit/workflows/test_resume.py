"""Retrying a failed YAML run re-executes only the nodes without a committed result, from
the manifest text pinned to the run; CronWorkflows become deployment fields."""

from __future__ import annotations

from pathlib import Path

import pytest

from legato.errors import ManifestError
from legato.manifests.argo.validate import validate_text
from legato.sdk import runtime
from legato.testing import FakeClock
from legato.workflows.cron import deployment_fields

from .conftest import EXAMPLES, RunYaml

TWO_STEPS = """
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
      container: {image: busybox, command: [sh, -c, 'test -z "$YAML_TEST_FAIL"']}
"""


def test_retry_reuses_completed_steps(run_yaml: RunYaml, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEGATO_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("YAML_TEST_FAIL", "1")
    out = run_yaml(TWO_STEPS)
    assert out.state.type.value == "FAILED"
    assert out.states() == {"two-steps[0].first": "COMPLETED", "two-steps[1].second": "FAILED"}
    (tmp_path / "workflow.yaml").write_text("changed on disk; the pinned text is used")
    monkeypatch.delenv("YAML_TEST_FAIL")
    state = runtime.retry_flow_run(out.run_id)
    assert state.type.value == "COMPLETED"
    assert out.states() == {"two-steps[0].first": "COMPLETED",
                            "two-steps[1].second": "COMPLETED"}
    assert out.logs("two-steps[0].first").count("first ran") == 1
    assert out.task_runs()["two-steps[0].first"].attempts == 1


def test_bad_parameters_are_refused_before_a_run_exists(run_yaml: RunYaml) -> None:
    from legato.errors import ParameterError

    with pytest.raises(ParameterError, match="did you mean 'message'"):
        run_yaml("hello-world.yaml", {"mesage": "x"})


def test_unknown_image_errors_the_step_with_the_setting_to_use(run_yaml: RunYaml) -> None:
    out = run_yaml(TWO_STEPS.replace("image: busybox, command: [echo",
                                     "image: argoproj/argosay:v2, command: [echo"))
    assert out.state.type.value == "FAILED"
    assert "LEGATO_IMAGE_MAP='argoproj/argosay:*=bash'" in (out.state.message or "")


def test_undefined_variable_is_refused_before_anything_runs(run_yaml: RunYaml) -> None:
    with pytest.raises(ManifestError, match="nope"):
        run_yaml(TWO_STEPS.replace("[echo, first ran]", "[echo, '{{inputs.parameters.nope}}']"))


def test_with_param_that_is_not_json_errors_the_step(run_yaml: RunYaml) -> None:
    out = run_yaml(TWO_STEPS.replace(
        "- - {name: second, template: second}",
        "- - {name: second, template: second, "
        "withParam: '{{steps.first.outputs.result}}'}"))
    assert out.state.type.value == "FAILED"
    assert "withParam is not a JSON list" in (out.state.message or "")


def test_cron_workflow_fields() -> None:
    text = (EXAMPLES / "cron-workflow.yaml").read_text()
    (manifest,) = validate_text(text, "cron-workflow.yaml").manifests
    assert deployment_fields(manifest) == {
        "schedules": [{"cron": "0 2 * * *", "timezone": "Europe/Paris"},
                      {"cron": "30 14 * * 1-5", "timezone": "Europe/Paris"}],
        "paused": False, "max_active_runs": 1, "catchup": "latest",
        "catchup_window_seconds": 600,
    }


def test_plain_workflow_has_no_deployment_fields() -> None:
    text = (EXAMPLES / "hello-world.yaml").read_text()
    (manifest,) = validate_text(text, "hello-world.yaml").manifests
    assert deployment_fields(manifest) == {}


def test_invalid_manifest_never_starts(run_yaml: RunYaml) -> None:
    with pytest.raises(ManifestError):
        run_yaml(TWO_STEPS.replace("template: second}", "template: secnd}"))


def test_template_ref_to_a_file_beside_the_workflow_is_found_and_pinned(
        run_yaml: RunYaml, tmp_path: Path) -> None:
    text = (EXAMPLES / "template-ref.yaml").read_text()
    shared, workflow = text.split("\n---\n")
    (tmp_path / "shared.yaml").write_text(shared)
    out = run_yaml(workflow + "\n")
    assert out.logs("template-ref[0].greet") == ["hello Ada"]
    record = out.backend.read_flow_run(out.run_id)
    assert record.flow_version_id is not None
    source = out.backend.read_flow_version(record.flow_version_id).source
    assert "name: shared-templates" in source


def test_template_defaults_give_steps_a_retry_strategy(run_yaml: RunYaml) -> None:
    out = run_yaml("""
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: defaults}
spec:
  entrypoint: flaky
  templateDefaults:
    retryStrategy: {limit: "2"}
  templates:
    - name: flaky
      script:
        image: python:3.12
        command: [python]
        source: |
          import sys
          sys.exit(0 if {{retries}} >= 1 else 1)
""")
    assert out.state.type.value == "COMPLETED", out.state.message
    assert out.task_runs()["defaults"].attempts == 2


def test_retry_strategy_on_a_steps_template_reruns_its_children(
        run_yaml: RunYaml, clock: FakeClock) -> None:
    out = run_yaml("""
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: group}
spec:
  entrypoint: main
  templates:
    - name: main
      retryStrategy: {limit: 2, backoff: {duration: "5"}}
      steps:
        - - {name: fail, template: fail}
    - name: fail
      container: {image: busybox, command: [sh, -c, "exit 1"]}
""")
    assert out.state.type.value == "FAILED"
    assert out.states() == {"group[0].fail": "FAILED", "group(1)[0].fail": "FAILED",
                            "group(2)[0].fail": "FAILED"}
    assert clock.sleeps[:2] == [5.0, 5.0]
