"""Hostile and broken manifests never crash validation: any text, and any value put anywhere
in a valid workflow, gives problems (or none), never an exception."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from legato.manifests.argo.validate import validate_text

VALID = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "Workflow",
    "metadata": {"generateName": "fuzz-"},
    "spec": {
        "entrypoint": "main",
        "arguments": {"parameters": [{"name": "n", "value": "1"}]},
        "templates": [
            {"name": "main", "dag": {"tasks": [
                {"name": "a", "template": "echo",
                 "arguments": {"parameters": [{"name": "m", "value": "{{workflow.parameters.n}}"}]}},
                {"name": "b", "depends": "a", "template": "echo", "withItems": [1, 2],
                 "arguments": {"parameters": [{"name": "m", "value": "{{item}}"}]}},
            ]}},
            {"name": "echo", "inputs": {"parameters": [{"name": "m"}]},
             "steps": [[{"name": "s", "template": "leaf", "when": "{{inputs.parameters.m}} == 1"}]]},
            {"name": "leaf", "container": {"image": "busybox", "args": ["hi"]}},
        ],
    },
}

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                    st.text(max_size=20))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=8)


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(node, dict):
        for key, item in node.items():
            found += _paths(item, (*path, key))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            found += _paths(item, (*path, index))
    return found


PATHS = _paths(VALID)[1:]


def _replace(node: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    copy = dict(node) if isinstance(node, dict) else list(node)
    copy[path[0]] = _replace(node[path[0]], path[1:], value)
    return copy


def test_the_base_workflow_is_valid() -> None:
    assert validate_text(json.dumps(VALID)).problems == []


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(PATHS), values)
def test_any_value_anywhere_gives_problems_not_exceptions(path: tuple[Any, ...],
                                                          value: Any) -> None:
    checked = validate_text(json.dumps(_replace(VALID, path, value)), "fuzz.yaml")
    for problem in checked.problems:
        assert str(problem).startswith("fuzz.yaml:")


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="abc:-[]{}&*!|>'\"\n #%@`,?{{}}=", max_size=80))
def test_any_text_gives_problems_not_exceptions(text: str) -> None:
    checked = validate_text(text, "t.yaml")
    assert all(str(p).startswith("t.yaml:") for p in checked.problems)
