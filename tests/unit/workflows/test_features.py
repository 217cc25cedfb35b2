"""Artifacts, depends/continueOn, scripts, templateRef, parallelism, memoize, timeouts,
hooks and suspend, each through its example manifest."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from legato.core.pauses import InputStatus
from legato.testing import InMemoryBackend
from legato.workflows import isolation

from .conftest import Outcome, RunYaml


def test_artifacts_pass_between_steps_through_the_store(run_yaml: RunYaml) -> None:
    out = run_yaml("artifacts.yaml")
    assert out.state.type.value == "COMPLETED"
    assert out.logs("artifact-passing[1].consume-artifact") == ["-- artifact --", "hello world"]


def test_depends_runs_failure_branches_and_continue_on_goes_on(run_yaml: RunYaml) -> None:
    out = run_yaml("dag-depends.yaml")
    states = out.states()
    assert out.state.type.value == "COMPLETED"
    assert states["dag-depends.work"] == "FAILED"
    assert "dag-depends.on-success" not in states
    assert out.logs("dag-depends.cleanup") == ["cleanup after exit 3"]
    assert out.logs("dag-depends.report") == ["report: Failed"]
    assert out.logs("dag-depends.after-optional") == ["went on"]


def test_unhandled_dag_failure_fails_the_workflow(run_yaml: RunYaml) -> None:
    out = run_yaml("""
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: broken-dag}
spec:
  entrypoint: main
  templates:
    - name: main
      dag:
        tasks:
          - {name: a, template: fail}
          - {name: b, template: ok, dependencies: [a]}
    - name: fail
      container: {image: busybox, command: [sh, -c, "exit 2"]}
    - name: ok
      container: {image: busybox, command: [echo, ok]}
""")
    assert out.state.type.value == "FAILED"
    assert "task 'a' failed" in (out.state.message or "")
    assert "broken-dag.b" not in out.states()


def test_scripts_in_three_languages_feed_an_expression(run_yaml: RunYaml) -> None:
    out = run_yaml("scripts.yaml")
    assert out.logs("scripts[1].sum") == ["60"]


def test_template_ref_resolves_from_the_same_file(run_yaml: RunYaml) -> None:
    out = run_yaml("template-ref.yaml", {"who": "Grace"})
    assert out.logs("template-ref[0].greet") == ["hello Grace"]


def test_parallelism_and_mutex_complete_every_step(run_yaml: RunYaml) -> None:
    out = run_yaml("parallelism.yaml")
    states = out.states()
    assert len(states) == 6 and set(states.values()) == {"COMPLETED"}
    assert any("pod-only fields (nodeSelector, resources)" in m for m in out.logs())


def test_memoize_reuses_the_first_result(run_yaml: RunYaml) -> None:
    out = run_yaml("memoize.yaml")
    states = out.states()
    assert states["memoized[0].first"] == "COMPLETED"
    assert states["memoized[1].second"] == "CACHED"


def test_step_timeout_stops_the_program(run_yaml: RunYaml) -> None:
    out = run_yaml("timeout.yaml")
    assert out.state.type.value == "FAILED"
    assert "ran past its deadline" in (out.state.message or "")


def test_exit_hook_and_step_on_exit_run(run_yaml: RunYaml) -> None:
    out = run_yaml("hooks.yaml")
    assert out.logs("lifecycle-hook[0].step1.onExit") == ["tidy up"]
    assert out.logs("lifecycle-hook.hooks.exit")[0].endswith("ended Succeeded")


def test_suspend_waits_for_resume_and_uses_the_supplied_value(
        run_yaml: RunYaml, backend: InMemoryBackend, monkeypatch: pytest.MonkeyPatch) -> None:
    paused = threading.Event()
    pause = backend.pause_flow_run

    def record_pause(*args: Any, **kwargs: Any) -> Any:
        result = pause(*args, **kwargs)
        paused.set()
        return result

    monkeypatch.setattr(backend, "pause_flow_run", record_pause)
    found: list[Outcome] = []
    runner = threading.Thread(target=lambda: found.append(run_yaml("suspend.yaml")))
    runner.start()
    assert paused.wait(timeout=60), "the workflow never suspended"
    (run,) = backend.list_flow_runs()
    request = backend.read_run_input(run.id, "suspend[1].approve")
    assert request is not None and request.status is InputStatus.PENDING
    backend.resume_flow_run(run.id, {"approver": "ana"})
    runner.join(timeout=60)
    assert found, "the workflow did not finish after resume"
    out = found[0]
    assert out.state.type.value == "COMPLETED"
    assert out.states()["suspend[0].wait-a-bit"] == "COMPLETED"
    assert out.logs("suspend[2].release") == ["approved by ana"]


COMPUTED_TMP = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: private-tmp}
spec:
  entrypoint: main
  templates:
    - name: main
      steps:
        - - {name: write, template: write, withItems: [a, b, c],
             arguments: {parameters: [{name: who, value: "{{item}}"}]}}
    - name: write
      inputs: {parameters: [{name: who}]}
      script:
        image: python:3.12
        command: [python]
        source: |
          import os
          path = os.path.join("/", "tm" + "p", "legato-private-{{inputs.parameters.who}}.txt")
          shared = os.path.join("/", "tm" + "p", "legato-shared.txt")
          assert not os.path.exists(shared), "another step's file is visible"
          open(shared, "w").write("{{inputs.parameters.who}}")
          print(open(shared).read(), os.path.exists(path))
"""


def test_namespace_isolation_keeps_run_time_paths_private(
        run_yaml: RunYaml, monkeypatch: pytest.MonkeyPatch) -> None:
    if not isolation.namespaces_available():
        pytest.skip("user and mount namespaces are not available on this machine")
    monkeypatch.setenv("LEGATO_SCRATCH_ISOLATION", "namespace")
    out = run_yaml(COMPUTED_TMP)
    assert out.state.type.value == "COMPLETED", out.state.message
    for who in "abc":
        assert out.logs(f"private-tmp[0].write({'abc'.index(who)}:{who})") == [f"{who} False"]
    assert not Path("/tmp/legato-shared.txt").exists()


def test_auto_isolation_uses_namespaces_where_the_probe_finds_them(
        run_yaml: RunYaml, monkeypatch: pytest.MonkeyPatch) -> None:
    if not isolation.namespaces_available():
        pytest.skip("user and mount namespaces are not available on this machine")
    monkeypatch.setenv("LEGATO_SCRATCH_ISOLATION", "auto")
    out = run_yaml(COMPUTED_TMP)
    assert out.state.type.value == "COMPLETED", out.state.message
    assert not Path("/tmp/legato-shared.txt").exists()


def test_auto_isolation_falls_back_to_rewriting_and_logs_why(
        run_yaml: RunYaml, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEGATO_SCRATCH_ISOLATION", "auto")
    monkeypatch.setattr(isolation, "probe", lambda: "no namespaces in this test")
    out = run_yaml("""
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: fallback}
spec:
  entrypoint: main
  templates:
    - name: main
      script: {image: alpine, command: [sh], source: "echo hi > /tmp/x; cat /tmp/x"}
""")
    assert out.state.type.value == "COMPLETED", out.state.message
    assert any("no namespaces in this test" in line for line in out.logs()), out.logs()
    assert out.logs("fallback") == ["hi"]


def test_expression_hooks_fire_at_start_and_after_their_step(run_yaml: RunYaml) -> None:
    out = run_yaml("lifecycle-hooks.yaml")
    states = out.states()
    assert out.logs("lifecycle-hooks.hooks.running") == ["workflow started"]
    assert out.logs("lifecycle-hooks[0].work.hooks.done") == ["work succeeded"]
    assert "lifecycle-hooks.hooks.failed" not in states


SLEEPER = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: sleeper}
spec:
  entrypoint: main
  templates:
    - name: main
      steps:
        - - {name: nap, template: nap}
        - - {name: never, template: nap}
    - name: nap
      container: {image: alpine, command: [sleep, "120"]}
"""


def test_cancelling_stops_the_running_step_and_ends_cancelled(
        run_yaml: RunYaml, monkeypatch: pytest.MonkeyPatch) -> None:
    from legato.engine.context import cancel_flow_runs
    from legato.workflows import leaf

    started = threading.Event()
    original = getattr(leaf, "run_process")  # noqa: B009  (patched below, where leaf looks it up)

    def run_process(*args: Any, **kwargs: Any) -> Any:
        started.set()
        return original(*args, **kwargs)

    monkeypatch.setattr(leaf, "run_process", run_process)
    found: list[Outcome] = []
    runner = threading.Thread(target=lambda: found.append(run_yaml(SLEEPER)))
    runner.start()
    assert started.wait(timeout=60)
    cancel_flow_runs()
    runner.join(timeout=30)
    assert found, "the cancelled workflow did not end"
    out = found[0]
    assert out.state.type.value == "CANCELLED"
    assert out.states() == {"sleeper[0].nap": "CANCELLED"}
