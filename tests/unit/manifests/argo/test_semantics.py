"""The semantic layer: every kind of problem, each reported at its exact file:line:col with
the key path, the message and the fix."""

from __future__ import annotations

from legato.manifests.argo.validate import validate_text

STEPS = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: x}
spec:
  entrypoint: mian
  onExit: clean
  templates:
    - name: main
      steps:
        - - name: a
            template: prnt
          - name: a
            template: print
            arguments: {parameters: [{name: msg, value: "{{inputs.parameters.mesage}}"}]}
        - - name: c
            template: print
            when: "{{steps.a.outputs.result}} = heads"
            arguments: {parameters: [{name: msg, value: "{{steps.c.outputs.result}} {{item}} {{workflow.parameters.nope}}"}]}
    - name: print
      inputs: {parameters: [{name: msg}]}
      container: {image: alpine, args: ["{{inputs.parameters.msg}}"]}
    - name: print
      script: {image: python, source: "print(1)"}
"""

DAG = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: x}
spec:
  entrypoint: main
  templates:
    - name: main
      dag:
        tasks:
          - {name: a, template: t, depends: "c.Succeeded"}
          - {name: b, template: t, depends: "a && (d || a.Sucess"}
          - {name: c, template: t, dependencies: [b, e]}
          - {name: d, template: t, depends: "a", dependencies: [a]}
          - name: e
            template: t
            arguments: {parameters: [{name: x, value: "{{tasks.d.outputs.result}}"}]}
            withItems: [1]
            withParam: "[1]"
          - {name: f, template: t, withParam: "not json"}
          - {name: g, template: t, withSequence: {count: 3, end: 5}}
          - {name: h, template: t, withSequence: {count: "x"}}
    - name: t
      container: {image: alpine}
"""

REFS = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: x}
spec:
  entrypoint: main
  templates:
    - name: main
      dag:
        target: c zz
        tasks:
          - {name: a, template: t, depends: "c.Succeeded"}
          - {name: b, template: t, depends: "a && !nope.Failed"}
          - {name: c, template: t, dependencies: [b, e]}
          - {name: d, templateRef: {name: lib, template: shot}}
          - {name: f, templateRef: {name: other, template: x}, hooks: {running: {template: t}}}
          - {name: g, template: t, inline: {container: {image: alpine}}}
          - {name: h}
    - name: t
      container: {image: alpine}
    - name: needs
      inputs: {parameters: [{name: p}, {name: q, default: "1"}]}
      outputs: {parameters: [{name: o}]}
      steps:
        - - {name: s, template: needs}
---
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: {name: lib}
spec:
  templates:
    - name: shout
      container: {image: alpine}
"""

CRON = """\
apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata: {name: c}
spec:
  schedules: ["0 * * *", "@hourly", "*/5 * * * *"]
  timezone: Mars/Base
  concurrencyPolicy: Forbidden
  workflowSpec:
    entrypoint: main
    templates: [{name: main, container: {image: alpine}}]
"""

NO_ENTRYPOINT = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: x}
spec:
  templates: [{name: main, container: {image: alpine}}]
"""


def problems(text: str) -> list[str]:
    return [str(p) for p in validate_text(text, "wf.yaml").problems]


def test_steps_names_templates_variables_and_conditions() -> None:
    assert problems(STEPS) == [
        "wf.yaml:5:15: spec.entrypoint: entrypoint names unknown template 'mian'; "
        "did you mean 'main'?",
        "wf.yaml:6:11: spec.onExit: onExit names unknown template 'clean'; "
        "define it under spec.templates",
        "wf.yaml:11:23: spec.templates[0].steps[0][0].template: step 'a' names unknown "
        "template 'prnt'; did you mean 'print'?",
        "wf.yaml:12:19: spec.templates[0].steps[0][1].name: the step name 'a' is used twice; "
        "rename one of them",
        "wf.yaml:14:58: spec.templates[0].steps[0][1].arguments.parameters[0].value: "
        "'{{inputs.parameters.mesage}}' is not an input parameter of template 'main'; "
        "declare it under the template's inputs.parameters",
        "wf.yaml:17:47: spec.templates[0].steps[1][0].when: bad when condition: use '==' to "
        "compare, not '='; compare values with ==, !=, <, >, =~ and join with &&, ||",
        "wf.yaml:18:58: spec.templates[0].steps[1][0].arguments.parameters[0].value: step 'c' "
        "uses 'steps.c', which runs in the same or a later group; move 'c' to an earlier group",
        "wf.yaml:18:85: spec.templates[0].steps[1][0].arguments.parameters[0].value: "
        "'{{item}}' is used outside a loop; use it in a step or task with withItems, withParam "
        "or withSequence",
        "wf.yaml:18:94: spec.templates[0].steps[1][0].arguments.parameters[0].value: "
        "'{{workflow.parameters.nope}}' is not a workflow parameter; declare it under "
        "spec.arguments.parameters",
        "wf.yaml:22:13: spec.templates[2].name: the template name 'print' is used twice; "
        "rename one of them",
    ]


def test_dag_depends_dependencies_and_loops() -> None:
    assert problems(DAG) == [
        "wf.yaml:11:59: spec.templates[0].dag.tasks[1].depends: bad depends expression: "
        "unknown task result '.Sucess'; did you mean 'Succeeded'?",
        "wf.yaml:13:45: spec.templates[0].dag.tasks[3].depends: task 'd' has both depends and "
        "dependencies; keep one (dependencies: [A, B] is depends: \"A && B\")",
        "wf.yaml:16:56: spec.templates[0].dag.tasks[4].arguments.parameters[0].value: task 'e' "
        "uses 'tasks.d' but does not depend on it; add 'd' to its depends or dependencies",
        "wf.yaml:18:24: spec.templates[0].dag.tasks[4].withParam: task 'e' has both withItems "
        "and withParam; loop over one of them",
        "wf.yaml:19:47: spec.templates[0].dag.tasks[5].withParam: withParam is neither a JSON "
        "list nor a variable; use withItems for a literal list, or a variable such as "
        "'{{steps.gen.outputs.result}}'",
        "wf.yaml:20:50: spec.templates[0].dag.tasks[6].withSequence: withSequence has both "
        "count and end; give either count or end (with an optional start)",
        "wf.yaml:21:58: spec.templates[0].dag.tasks[7].withSequence.count: withSequence count "
        "'x' is not a number; write a whole number or a {{...}} variable",
    ]


def test_cycles_unknown_tasks_template_refs_hooks_and_inputs() -> None:
    assert problems(REFS) == [
        "wf.yaml:9:17: spec.templates[0].dag.target: target names unknown task 'zz'; "
        "name tasks of this DAG",
        "wf.yaml:11:13: spec.templates[0].dag.tasks[0]: the DAG has a cycle: a -> c -> b -> a; "
        "remove one of these dependencies",
        "wf.yaml:12:52: spec.templates[0].dag.tasks[1].depends: depends names unknown task "
        "'nope'; name a task of this DAG",
        "wf.yaml:13:54: spec.templates[0].dag.tasks[2].dependencies[1]: unknown task 'e'; "
        "name a task of this DAG",
        "wf.yaml:14:58: spec.templates[0].dag.tasks[3].templateRef.template: WorkflowTemplate "
        "'lib' has no template 'shot'; did you mean 'shout'?",
        "wf.yaml:15:43: spec.templates[0].dag.tasks[4].templateRef.name: no WorkflowTemplate "
        "named 'other' was found; give its file too, or put it next to wf.yaml",
        "wf.yaml:15:81: spec.templates[0].dag.tasks[4].hooks.running: hook 'running' has no "
        "expression; add 'expression:' saying when it runs, or name it 'exit'",
        "wf.yaml:16:44: spec.templates[0].dag.tasks[5].inline: task 'g' has both template and "
        "inline; keep one of them",
        "wf.yaml:17:13: spec.templates[0].dag.tasks[6]: task 'h' calls no template; add "
        "'template:' naming one of spec.templates",
        "wf.yaml:22:30: spec.templates[2].outputs.parameters[0]: output parameter 'o' has no "
        "value; add 'valueFrom:' (path, parameter, expression) or 'value:'",
        "wf.yaml:24:13: spec.templates[2].steps[0][0]: step 's' does not pass input parameter "
        "'p' that template 'needs' needs; add it under arguments.parameters, or give the input "
        "a default",
    ]


def test_cron_schedules_time_zone_and_policy() -> None:
    assert problems(CRON) == [
        "wf.yaml:5:15: spec.schedules[0]: '0 * * *' is not a cron expression; write five "
        "fields (minute hour day month weekday) or @hourly/@daily",
        "wf.yaml:6:13: spec.timezone: unknown time zone 'Mars/Base'; use an IANA name such as "
        "'Europe/Berlin' or 'UTC'",
        "wf.yaml:7:22: spec.concurrencyPolicy: unknown concurrencyPolicy 'Forbidden'; "
        "did you mean 'Forbid'?",
    ]


def test_a_workflow_needs_an_entrypoint() -> None:
    assert problems(NO_ENTRYPOINT) == [
        "wf.yaml:5:3: spec: the workflow has no entrypoint; add 'entrypoint:' naming the "
        "template to start (main)"
    ]


def test_names_follow_argo_rules() -> None:
    assert problems("""\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: x}
spec:
  entrypoint: my_main
  templates:
    - name: my_main
      steps: [[{name: "step one", template: my_main}, {name: "s-{{item}}", template: t, withItems: [1]}]]
    - name: t
      container: {image: alpine}
""") == [
        "wf.yaml:7:13: spec.templates[0].name: the template name 'my_main' has characters Argo "
        "does not allow; use letters, digits and '-', starting with a letter or digit",
        "wf.yaml:8:23: spec.templates[0].steps[0][0].name: the step name 'step one' has "
        "characters Argo does not allow; use letters, digits and '-', starting with a letter "
        "or digit",
    ]
