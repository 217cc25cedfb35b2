"""Which `{{secrets.X}}` / `{{variables.X}}` a YAML run loads: every one its manifest and
parameters name, and never a secret written into a script's source."""

from __future__ import annotations

import pytest

from legato.errors import ManifestError
from legato.workflows.vault_refs import manifest_names, vault_names

MANIFEST = {
    "spec": {
        "arguments": {"parameters": [{"name": "who", "value": "{{ variables.owner }}"}]},
        "templates": [
            {"name": "main", "container": {
                "args": ["--token", "{{secrets.api-token}}", "plain"],
                "env": [{"name": "REGION", "value": "{{variables.region.name}}"}]}},
            {"name": "s", "script": {"source": "echo {{variables.greeting}}"}},
        ],
    },
}


def test_every_reference_of_the_manifest_and_the_parameters_is_found() -> None:
    found = vault_names([MANIFEST], {"p": "{{secrets.extra}}", "q": "no reference"},
                        "dag.yaml")
    assert found == {("variables", "owner"), ("secrets", "api-token"),
                     ("variables", "region.name"), ("variables", "greeting"),
                     ("secrets", "extra")}


def test_a_secret_in_a_script_source_is_refused_with_the_fix() -> None:
    leaky = {"templates": [{"script": {"source": "curl -H {{secrets.token}} x"}}]}
    with pytest.raises(ManifestError, match=r"dag.yaml: \{\{secrets.token\}\} is used in a "
                                            r"script's source.*env value"):
        vault_names([leaky], {}, "dag.yaml")


def test_a_manifest_without_references_names_none() -> None:
    assert vault_names([{"a": ["{{inputs.parameters.x}}", 1, None, {"b": "text"}]}], {},
                       "dag.yaml") == set()


def test_a_manifest_is_walked_once_for_all_its_runs() -> None:
    manifest = {"env": [{"value": "{{variables.a}}"}]}
    assert manifest_names(manifest, "dag.yaml") == {("variables", "a")}
    manifest["env"].append({"value": "{{variables.b}}"})  # what a second walk would see
    assert manifest_names(manifest, "dag.yaml") == {("variables", "a")}
    assert manifest_names(dict(manifest), "dag.yaml") == {("variables", "a"), ("variables", "b")}
