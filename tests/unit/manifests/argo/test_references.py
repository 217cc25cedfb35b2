"""Finding the variables a string uses, in simple tags and `{{= }}` expressions."""

from __future__ import annotations

import pytest

from legato.manifests.argo.references import references


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("no tags here", []),
        ("{{inputs.parameters.a-b}}", [("inputs.parameters", "a-b", 0)]),
        ("x {{ inputs.artifacts.data }}", [("inputs.artifacts", "data", 2)]),
        ("{{workflow.parameters.n}}", [("workflow.parameters", "n", 0)]),
        ("{{steps.flip.outputs.result}}", [("steps", "flip", 0)]),
        ("{{tasks.A.outputs.parameters.p}}", [("tasks", "A", 0)]),
        ("{{steps.name}} {{workflow.name}} {{tasks.status}}", []),
        ("{{item}} {{item.x}}", [("item", "item", 0), ("item", "item", 9)]),
        ("{{=asInt(inputs.parameters.n) + item.x}}",
         [("inputs.parameters", "n", 0), ("item", "item", 0)]),
        ("{{=tasks['my-task'].outputs.result}}", [("tasks", "my-task", 0)]),
        ("{{=sprig.trim('item')}}", []),
    ],
)
def test_references_are_found_with_their_offsets(
    text: str, expected: list[tuple[str, str, int]]
) -> None:
    assert [(r.scope, r.name, r.offset) for r in references(text)] == expected
