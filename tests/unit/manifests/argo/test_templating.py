"""`{{...}}` substitution: names from a flat scope, structured items, `{{= expr }}`, and an
error naming an unresolved variable with a suggestion."""

from __future__ import annotations

from typing import Any

import pytest

from legato.errors import ManifestError
from legato.manifests.argo.templating import (
    UnresolvedVariable,
    nest,
    placeholders,
    substitute,
    substitute_all,
)

SCOPE: dict[str, Any] = {
    "inputs.parameters.who": "Ada",
    "inputs.parameters.count": "3",
    "workflow.name": "hello-x1",
    "item": {"name": "a", "list": [1, 2]},
    "steps.flip.outputs.result": "heads",
}


def test_names_are_replaced_with_their_string_values() -> None:
    text = "hi {{inputs.parameters.who}} from {{ workflow.name }}"
    assert substitute(text, SCOPE, "args") == "hi Ada from hello-x1"


def test_structured_items_are_reachable_by_key_and_index_and_render_as_json() -> None:
    assert substitute("{{item.name}}-{{item.list[1]}}", SCOPE, "args") == "a-2"
    assert substitute("{{item}}", SCOPE, "args") == '{"name":"a","list":[1,2]}'


def test_expressions_see_the_scope_as_nested_maps() -> None:
    text = "{{= asInt(inputs.parameters.count) + 1 }} {{=upper(inputs.parameters.who)}}"
    assert substitute(text, SCOPE, "args") == "4 ADA"
    assert substitute("{{= 1 < 2 }}", SCOPE, "args") == "true"
    assert substitute("{{= 6 / 2 }}", SCOPE, "args") == "3"


def test_unresolved_variable_names_the_place_and_suggests_a_close_name() -> None:
    with pytest.raises(UnresolvedVariable) as info:
        substitute("{{inputs.parameters.woh}}", SCOPE, "templates.main.args[0]")
    message = str(info.value)
    assert message.startswith("templates.main.args[0]: {{inputs.parameters.woh}} is not defined")
    assert "did you mean {{inputs.parameters.who}}?" in message
    assert info.value.name == "inputs.parameters.woh"


def test_unresolved_variable_without_a_close_name_lists_its_prefix() -> None:
    with pytest.raises(UnresolvedVariable, match=r"names defined with that prefix: "
                                                 r"steps\.flip\.outputs\.result"):
        substitute("{{steps.other.outputs.parameters.x}}", SCOPE, "when")


def test_keep_unknown_leaves_later_values_in_place() -> None:
    text = "{{workflow.status}} {{workflow.name}}"
    kept = substitute(text, SCOPE, "onExit", keep_unknown=frozenset({"workflow"}))
    assert kept == "{{workflow.status}} hello-x1"


def test_bad_expression_is_a_manifest_error_with_the_place() -> None:
    with pytest.raises(ManifestError, match=r"^args: expected a value"):
        substitute("{{= 1 + }}", SCOPE, "args")


def test_substitute_all_walks_lists_and_maps() -> None:
    value = {"k": ["{{inputs.parameters.who}}", 1], "{{item.name}}": {"b": "{{item.name}}"}}
    assert substitute_all(value, SCOPE, "x") == {"k": ["Ada", 1], "a": {"b": "a"}}


def test_placeholders_and_nest() -> None:
    assert placeholders("{{a}} and {{ = 1 }}") == ["a", "= 1"]
    assert nest({"a.b": 1, "a.c": 2, "d": 3}) == {"a": {"b": 1, "c": 2}, "d": 3}


def test_text_without_braces_is_returned_unchanged() -> None:
    assert substitute("plain", {}, "x") == "plain"


def test_nest_turns_a_value_that_is_also_a_prefix_into_a_map() -> None:
    scope = {"workflow.parameters": "[...]", "workflow.parameters.n": "3", "item": {"k": 1}}
    nested = nest(scope)
    assert nested["workflow"]["parameters"] == {"n": "3"}
    assert nested["item"] == {"k": 1}
