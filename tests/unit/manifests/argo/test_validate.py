"""The front door: files and folders, templates found next to a workflow, every problem of
every file collected, ManifestError for callers that want an exception, valid Argo-style
workflows passing."""

from __future__ import annotations

from pathlib import Path

import pytest

from legato.errors import ManifestError
from legato.manifests.argo import Workflow, load_manifests, validate, validate_files
from legato.manifests.argo.resolve import LocalTemplateResolver

HELLO = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: hello-world-
spec:
  entrypoint: main
  arguments:
    parameters: [{name: message, value: hello}]
  templates:
    - name: main
      steps:
        - - name: flip
            template: coin
        - - name: heads
            template: say
            when: "{{steps.flip.outputs.result}} == heads"
            arguments: {parameters: [{name: text, value: "{{workflow.parameters.message}}"}]}
          - name: loop
            template: say
            arguments: {parameters: [{name: text, value: "{{item.name}}"}]}
            withItems: [{name: a}, {name: b}]
        - - name: fan
            template: diamond
    - name: coin
      script:
        image: python:alpine3.6
        command: [python]
        source: |
          import random
          print("heads" if random.randint(0, 1) == 0 else "tails")
    - name: say
      inputs: {parameters: [{name: text}]}
      container: {image: busybox, command: [echo, "{{inputs.parameters.text}}"]}
    - name: diamond
      dag:
        tasks:
          - {name: A, template: say, arguments: {parameters: [{name: text, value: A}]}}
          - name: B
            depends: A
            template: say
            arguments: {parameters: [{name: text, value: "{{tasks.A.outputs.result}}"}]}
          - {name: C, dependencies: [A], templateRef: {name: shared, template: shout}}
          - {name: D, depends: "B && (C.Succeeded || C.Failed)", template: wait}
    - name: wait
      suspend: {duration: "5s"}
"""

SHARED = """\
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: {name: shared}
spec:
  templates:
    - name: shout
      container: {image: alpine, command: [echo, HELLO]}
"""


def test_a_workflow_and_its_template_given_together_are_valid(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    flow = tmp_path / "a" / "hello.yaml"
    flow.write_text(HELLO)
    shared = tmp_path / "shared.yaml"
    shared.write_text(SHARED)
    assert validate([flow, shared]) == []
    manifests = load_manifests([flow, shared])
    assert [m.kind for m in manifests] == ["Workflow", "WorkflowTemplate"]
    assert isinstance(manifests[0], Workflow) and manifests[0].name == "hello-world"


def test_a_template_next_to_the_workflow_is_found(tmp_path: Path) -> None:
    flow = tmp_path / "hello.yaml"
    flow.write_text(HELLO)
    (tmp_path / "shared.yaml").write_text(SHARED)
    (tmp_path / "broken.yaml").write_text("a: [\n")  # a broken neighbour is ignored
    assert validate([flow]) == []


def test_a_missing_template_is_named_at_its_reference(tmp_path: Path) -> None:
    flow = tmp_path / "hello.yaml"
    flow.write_text(HELLO)
    (problem,) = validate([flow])
    assert str(problem) == (
        f"{flow}:42:62: spec.templates[3].dag.tasks[2].templateRef.name: no WorkflowTemplate "
        f"named 'shared' was found; give its file too, or put it next to {flow}"
    )


def test_problems_of_every_file_are_collected_in_file_order(tmp_path: Path) -> None:
    one = tmp_path / "one.yaml"
    one.write_text(HELLO.replace("template: coin", "template: con"))
    two = tmp_path / "two.yaml"
    two.write_text("kind: [\n")
    three = tmp_path / "three.yaml"
    three.write_text("")
    found = validate_files([two, one, three]).problems
    assert [(p.position.file, p.layer) for p in found] == [
        (str(one), "semantics"), (str(one), "semantics"), (str(three), "yaml"),
        (str(two), "yaml"),
    ]


def test_load_manifests_raises_one_error_listing_every_problem(tmp_path: Path) -> None:
    flow = tmp_path / "hello.yaml"
    flow.write_text(HELLO.replace("entrypoint: main", "entrypoint: mian"))
    with pytest.raises(ManifestError) as caught:
        load_manifests([flow])
    assert len(caught.value.problems) == 2
    assert str(caught.value).startswith("2 problems in the manifests:\n")
    assert "did you mean 'main'?" in caught.value.problems[0]


def test_a_given_resolver_is_asked_before_neighbouring_files(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    lib = tmp_path / "lib" / "shared.yaml"
    lib.write_text(SHARED)
    flow = tmp_path / "hello.yaml"
    flow.write_text(HELLO)
    resolver = LocalTemplateResolver(load_manifests([lib]))
    assert validate([flow], resolver) == []
    assert resolver.names(cluster_scope=False) == ["shared"]
    assert resolver.names(cluster_scope=True) == []


def test_the_mistakes_example_shows_one_problem_of_each_kind() -> None:
    example = Path(__file__).resolve().parents[4] / "examples/yaml/validate-mistakes.yaml"
    found = validate([example])
    assert len(found) == 12
    assert {p.layer for p in found} == {"schema", "semantics"}
    assert any("the DAG has a cycle: fetch -> report -> fetch" in str(p) for p in found)


def test_a_folder_stands_for_its_yaml_files(tmp_path: Path) -> None:
    (tmp_path / "hello.yaml").write_text(HELLO)
    (tmp_path / "shared.yml").write_text(SHARED)
    (tmp_path / "notes.txt").write_text("not yaml")
    checked = validate_files([tmp_path])
    assert checked.problems == []
    assert sorted(m.name for m in checked.manifests) == ["hello-world", "shared"]
