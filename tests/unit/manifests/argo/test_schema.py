"""The schema layer: unknown fields with "did you mean", types, required fields, apiVersion
and kind, and Argo's own relaxations (numbers for IntOrString and parameter values)."""

from __future__ import annotations

from legato.manifests.argo.loader import load_text
from legato.manifests.argo.schema import check_schema, definitions

HEAD = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: w}\n"


def problems(text: str) -> list[str]:
    (document,), parse_problems = load_text(text, "wf.yaml")
    assert parse_problems == []
    return [str(p) for p in check_schema(document)]


def test_a_valid_manifest_has_no_schema_problems() -> None:
    assert problems(HEAD + """\
spec:
  entrypoint: main
  arguments: {parameters: [{name: n, value: 3}, {name: b, value: true}]}
  templates:
    - name: main
      activeDeadlineSeconds: 30
      retryStrategy: {limit: 2, backoff: {duration: "1", factor: 2}}
      inputs: {parameters: [{name: x, default: 1, enum: [1, 2]}]}
      container:
        image: alpine
        resources: {limits: {cpu: 1, memory: 1Gi}}
      synchronization: {mutex: {name: m}}
""") == []


def test_unknown_fields_are_found_at_their_key_with_a_suggestion() -> None:
    assert problems(HEAD + """\
spec:
  entryPoint: main
  templates:
    - name: main
      contaner: {image: alpine}
      bogus: 1
""") == [
        "wf.yaml:5:3: spec.entryPoint: unknown field 'entryPoint'; did you mean 'entrypoint'?",
        "wf.yaml:8:7: spec.templates[0].contaner: unknown field 'contaner'; "
        "did you mean 'container'?",
        "wf.yaml:9:7: spec.templates[0].bogus: unknown field 'bogus'; remove it or use one of "
        "Template's fields: activeDeadlineSeconds, affinity, annotations, archiveLocation, "
        "automountServiceAccountToken, container, containerSet, daemon, dag, data, executor, "
        "failFast, ...",
    ]


def test_wrong_types_say_what_was_expected() -> None:
    assert problems(HEAD + """\
spec:
  templates:
    - name: a
      container: {image: alpine, args: [1]}
      steps: {x: 1}
      parallelism: many
""") == [
        "wf.yaml:7:41: spec.templates[0].container.args[0]: expected a string, got an "
        "integer; quote the value",
        "wf.yaml:8:14: spec.templates[0].steps: expected a list, got a mapping; "
        "write a list here",
        "wf.yaml:9:20: spec.templates[0].parallelism: expected an integer, got a string; "
        "write an integer here",
    ]


def test_required_fields_are_reported_on_their_parent() -> None:
    assert sorted(problems("apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nspec:\n"
                           "  templates: [{name: a, script: {image: python}}]\n")) == [
        "wf.yaml:1:1: 'metadata' is required here; add 'metadata:'",
        "wf.yaml:4:33: spec.templates[0].script: 'source' is required here; add 'source:'",
    ]


def test_api_version_and_kind_are_checked_together() -> None:
    assert problems("apiVersion: argoproj.io/v1\nkind: Workflo\n") == [
        "wf.yaml:1:13: apiVersion: apiVersion 'argoproj.io/v1' is not Argo's; "
        "set 'apiVersion: argoproj.io/v1alpha1'",
        "wf.yaml:2:7: kind: unsupported kind 'Workflo'; did you mean 'Workflow'?",
    ]


def test_a_document_that_is_not_a_mapping_is_one_problem() -> None:
    assert problems("- a\n- b\n") == [
        "wf.yaml:1:1: the document is not a mapping; write an Argo manifest with apiVersion, "
        "kind, metadata and spec"
    ]


def test_the_packaged_schema_covers_the_four_kinds_without_prose() -> None:
    defs = definitions()
    for kind in ("Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate", "CronWorkflow"):
        assert f"io.argoproj.workflow.v1alpha1.{kind}" in defs
    assert all("description" not in d for d in defs.values())
