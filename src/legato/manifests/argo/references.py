"""Finds the `{{...}}` variables a manifest string refers to, without evaluating anything:
`inputs.parameters.x`, `workflow.parameters.x`, `steps.X...`, `tasks.X...`, `item`, in both the
simple tag form and the `{{= expression }}` form. The validator uses them to report variables
that can never be filled in."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

_TAG = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
# Simple tags are dotted paths whose names may hold '-'; expressions need identifiers or
# ['quoted'] names there.
_SIMPLE = re.compile(
    r"^\s*(?P<scope>inputs\.parameters|inputs\.artifacts|workflow\.parameters|steps|tasks)"
    r"\.(?P<name>[A-Za-z0-9_][A-Za-z0-9_-]*)(?P<rest>\.\S*)?\s*$"
)
_EXPR = re.compile(
    r"(?<![\w.])(?P<scope>inputs\.parameters|inputs\.artifacts|workflow\.parameters|steps|tasks)"
    r"(?:\.(?P<name>[A-Za-z_]\w*)|\[\s*['\"](?P<quoted>[^'\"]+)['\"]\s*\])"
)
_ITEM_SIMPLE = re.compile(r"^\s*item(\.[\w.-]+)?\s*$")
_ITEM_EXPR = re.compile(r"(?<![\w.'\"])item\b(?!['\"])")


@dataclass(frozen=True, slots=True)
class Reference:
    """One variable use: `scope` is e.g. "inputs.parameters" or "tasks" (or "item"),
    `name` the parameter, step or task named; `offset` where its tag starts in the string."""

    scope: str
    name: str
    offset: int


def references(text: str) -> Iterator[Reference]:
    """The variables `text` uses.

    >>> [(r.scope, r.name) for r in references("{{inputs.parameters.a-b}} {{=tasks['t'].x}}")]
    [('inputs.parameters', 'a-b'), ('tasks', 't')]
    """
    if "{{" not in text:
        return
    for match in _TAG.finditer(text):
        body = match.group(1)
        offset = match.start()
        if body.lstrip().startswith("="):
            for found in _EXPR.finditer(body):
                name = found.group("name") or found.group("quoted")
                if found.group("scope") in ("steps", "tasks") and found.group("name") and \
                        body[found.end():found.end() + 1] != ".":
                    continue  # `tasks.status` style globals, not a task reference
                yield Reference(found.group("scope"), name, offset)
            if _ITEM_EXPR.search(body.split("=", 1)[1]):
                yield Reference("item", "item", offset)
            continue
        simple = _SIMPLE.match(body)
        if simple:
            if simple.group("scope") in ("steps", "tasks") and not simple.group("rest"):
                continue
            yield Reference(simple.group("scope"), simple.group("name"), offset)
        elif _ITEM_SIMPLE.match(body):
            yield Reference("item", "item", offset)
