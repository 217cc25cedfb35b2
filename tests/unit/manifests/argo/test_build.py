"""The typed model built from Argo YAML: kinds, specs, templates, steps, DAG tasks, cron specs,
string parameter values, raw pod fields and positions."""

from __future__ import annotations

from legato.manifests.argo.build import text
from legato.manifests.argo.model import CronWorkflow, DagTask, Manifest, Workflow, WorkflowTemplate
from legato.manifests.argo.validate import validate_text

WORKFLOW = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: demo-
  labels: {team: data}
spec:
  entrypoint: main
  onExit: cleanup
  parallelism: 2
  activeDeadlineSeconds: 600
  serviceAccountName: runner
  arguments:
    parameters:
      - name: count
        value: 3
      - name: flag
        value: true
  templates:
    - name: main
      failFast: false
      dag:
        tasks:
          - name: a
            template: echo
            arguments: {parameters: [{name: msg, value: "{{workflow.parameters.count}}"}]}
          - name: b
            dependencies: [a]
            template: echo
            withItems: [1, two, {x: 3}]
            continueOn: {failed: true}
            arguments: {parameters: [{name: msg, value: "{{item}}"}]}
          - name: c
            depends: "a && b.Failed"
            templateRef: {name: lib, template: shout, clusterScope: true}
            when: "{{workflow.parameters.flag}} == true"
            withSequence: {count: "5", format: "n%02d"}
    - name: echo
      inputs:
        parameters: [{name: msg, default: hi, enum: [hi, 1]}]
      nodeSelector: {disk: ssd}
      tolerations: [{key: k}]
      retryStrategy:
        limit: 2
        retryPolicy: Always
        backoff: {duration: 1s, factor: 2, maxDuration: 1m}
      timeout: 30s
      memoize: {key: "{{inputs.parameters.msg}}", maxAge: 1h, cache: {configMap: {name: c}}}
      synchronization:
        mutex: {name: one}
        mutexes: [{name: two}]
      script:
        image: python:3.12
        command: [python]
        source: print("{{inputs.parameters.msg}}")
        env: [{name: A, value: 1}, {name: S, valueFrom: {secretKeyRef: {name: s, key: k}}}]
      outputs:
        parameters:
          - name: out
            valueFrom: {path: /tmp/out, default: none}
        artifacts:
          - name: data
            path: /tmp/data
            s3: {key: runs/data.tgz}
    - name: cleanup
      steps:
        - - name: wait
            template: pause
        - - name: p1
            template: echo
            onExit: echo
          - name: p2
            inline:
              container: {image: alpine, args: [echo, "{{inputs.parameters.x}}"]}
              inputs: {parameters: [{name: x}]}
    - name: pause
      suspend: {duration: "20"}
"""


def build(source: str) -> list[Manifest]:
    return list(validate_text(source, "wf.yaml").manifests)


def test_workflow_spec_fields_are_read() -> None:
    (wf,) = build(WORKFLOW)
    assert isinstance(wf, Workflow)
    assert wf.name == "demo" and wf.metadata.labels == {"team": "data"}
    spec = wf.spec
    assert (spec.entrypoint, spec.on_exit, spec.parallelism) == ("main", "cleanup", 2)
    assert (spec.active_deadline_seconds, spec.service_account_name) == (600, "runner")
    assert [(p.name, p.value) for p in spec.arguments.parameters] == [
        ("count", "3"), ("flag", "true")]
    assert [t.name for t in spec.templates] == ["main", "echo", "cleanup", "pause"]
    assert [t.kind for t in spec.templates] == ["dag", "script", "steps", "suspend"]
    assert str(spec.templates[1].pos) == "wf.yaml:37:7"


def test_dag_tasks_keep_loops_dependencies_and_refs() -> None:
    (wf,) = build(WORKFLOW)
    main = wf.spec.template("main")
    assert main is not None and main.dag is not None
    assert main.dag.fail_fast is None and main.fail_fast is False
    a, b, c = main.dag.tasks
    assert isinstance(b, DagTask) and b.dependencies == ("a",)
    assert b.with_items == (1, "two", {"x": 3}) and b.loops
    assert b.continue_on is not None and b.continue_on.failed
    assert c.template_ref is not None and c.template_ref.cluster_scope
    assert (c.template_ref.name, c.template_ref.template) == ("lib", "shout")
    assert c.with_sequence is not None and c.with_sequence.count == "5"
    assert c.when == "{{workflow.parameters.flag}} == true"
    assert str(c.pos) == "wf.yaml:32:13"
    expr = c.depends_expression()
    assert expr is not None and expr.referenced_tasks() == ["a", "b"]
    dep = b.depends_expression()
    assert dep is not None and str(dep) == "a"
    assert a.depends_expression() is None


def test_script_templates_keep_everything_for_the_runtime() -> None:
    (wf,) = build(WORKFLOW)
    echo = wf.spec.template("echo")
    assert echo is not None and echo.script is not None
    assert echo.script.image == "python:3.12" and echo.script.command == ("python",)
    assert echo.script.source == 'print("{{inputs.parameters.msg}}")'
    assert [(e.name, e.value, e.value_from is not None) for e in echo.script.env] == [
        ("A", "1", False), ("S", None, True)]
    (msg,) = echo.inputs.parameters
    assert (msg.default, msg.enum) == ("hi", ("hi", "1"))
    assert echo.pod_fields == {"nodeSelector": {"disk": "ssd"}, "tolerations": [{"key": "k"}]}
    retry = echo.retry_strategy
    assert retry is not None and retry.limit == 2 and retry.retry_policy == "Always"
    assert retry.backoff is not None and retry.backoff.factor == 2
    assert echo.timeout == "30s"
    assert echo.memoize is not None and echo.memoize.cache_name == "c"
    assert echo.synchronization is not None and echo.synchronization.mutexes == ("one", "two")
    (out,) = echo.outputs.parameters
    assert out.value_from is not None and out.value_from.path == "/tmp/out"
    assert echo.outputs.artifacts[0].s3_key == "runs/data.tgz"


def test_steps_are_groups_and_inline_templates_are_templates() -> None:
    (wf,) = build(WORKFLOW)
    cleanup = wf.spec.template("cleanup")
    assert cleanup is not None and cleanup.steps is not None
    assert [[s.name for s in group] for group in cleanup.steps] == [["wait"], ["p1", "p2"]]
    p1, p2 = cleanup.steps[1]
    assert p1.on_exit == "echo"
    assert p2.inline is not None and p2.inline.container is not None
    assert p2.inline.container.args == ("echo", "{{inputs.parameters.x}}")
    pause = wf.spec.template("pause")
    assert pause is not None and pause.suspend is not None and pause.suspend.duration == "20"


def test_cron_workflow_reads_schedules_and_policies() -> None:
    (cron,) = build("""\
apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata: {name: nightly}
spec:
  schedule: "0 2 * * *"
  schedules: ["30 4 * * *"]
  timezone: Europe/Berlin
  concurrencyPolicy: Forbid
  startingDeadlineSeconds: 60
  workflowSpec:
    entrypoint: a
    templates: [{name: a, container: {image: alpine}}]
""")
    assert isinstance(cron, CronWorkflow)
    assert cron.cron.schedules == ("0 2 * * *", "30 4 * * *")
    assert (cron.cron.timezone, cron.cron.concurrency_policy) == ("Europe/Berlin", "Forbid")
    assert cron.cron.starting_deadline_seconds == 60 and cron.cron.suspend is False
    assert cron.spec.entrypoint == "a" and cron.spec.templates[0].container is not None


def test_every_document_becomes_its_kind() -> None:
    manifests = build("""\
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: {name: lib}
spec: {templates: [{name: shout, container: {image: alpine}}]}
---
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: use}
spec: {workflowTemplateRef: {name: lib}}
""")
    lib, use = manifests
    assert isinstance(lib, WorkflowTemplate) and lib.document == 0
    assert isinstance(use, Workflow) and use.document == 1
    assert use.spec.workflow_template_ref is not None
    assert use.spec.workflow_template_ref.name == "lib"


def test_a_badly_shaped_spec_still_builds() -> None:
    (wf,) = build("apiVersion: argoproj.io/v1alpha1\nkind: Workflow\n"
                  "spec: {templates: [3, {name: a, steps: {x: 1}, dag: [1]}]}\n")
    (template,) = wf.spec.templates
    assert template.name == "a" and template.steps is None and template.dag is None


def test_text_matches_argo_string_values() -> None:
    assert [text(v) for v in (None, "a", True, False, 3, 1.5, [1, "a"], {"b": 1})] == [
        None, "a", "true", "false", "3", "1.5", '[1,"a"]', '{"b":1}']
