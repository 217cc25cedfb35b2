"""The JSONPath subset behind the `jsonpath(json, path)` expression function: `$`, `.key`,
`['key']`, `[n]` (negative from the end), `[*]` / `.*`, `..key` and `[a,b]`. A path with a
wildcard or recursive step yields a list; a plain path yields the one value."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_STEP = re.compile(
    r"""\.\.(?P<deep>[A-Za-z0-9_\-]+|\*)
      | \.(?P<key>[A-Za-z0-9_\-]+|\*)
      | \[\s*(?P<bracket>\*|-?\d+(?:\s*,\s*-?\d+)*|'[^']*'(?:\s*,\s*'[^']*')*
                          |"[^"]*"(?:\s*,\s*"[^"]*")*)\s*\]""",
    re.VERBOSE,
)


class JsonPathError(Exception):
    """A JSONPath could not be parsed or does not match the document."""


def _steps(path: str) -> list[tuple[str, list[Any]]]:
    text = path.strip()
    if not text.startswith("$"):
        raise JsonPathError(f"JSONPath {path!r} must start with '$'")
    pos, steps = 1, []
    while pos < len(text):
        match = _STEP.match(text, pos)
        if match is None:
            raise JsonPathError(f"cannot read JSONPath {path!r} at column {pos + 1}")
        if match.group("deep") is not None:
            steps.append(("deep", [match.group("deep")]))
        elif match.group("key") is not None:
            key = match.group("key")
            steps.append(("all", []) if key == "*" else ("pick", [key]))
        else:
            inner = match.group("bracket")
            if inner == "*":
                steps.append(("all", []))
            else:
                parts = [p.strip() for p in inner.split(",")]
                steps.append(("pick", [p[1:-1] if p[0] in "'\"" else int(p) for p in parts]))
        pos = match.end()
    return steps


def _pick(value: Any, key: Any) -> list[Any]:
    if isinstance(value, Mapping) and isinstance(key, str) and key in value:
        return [value[key]]
    if isinstance(value, list) and isinstance(key, int) and -len(value) <= key < len(value):
        return [value[key]]
    return []


def _children(value: Any) -> list[Any]:
    if isinstance(value, Mapping):
        return list(value.values())
    if isinstance(value, list):
        return list(value)
    return []


def _descend(value: Any, key: str) -> list[Any]:
    found: list[Any] = []
    stack = [value]
    while stack:
        node = stack.pop()
        if key == "*":
            found.extend(_children(node))
        else:
            found.extend(_pick(node, key))
        stack.extend(reversed(_children(node)))
    return found


def query(document: Any, path: str) -> Any:
    """The value (or list of values) a JSONPath selects from a decoded JSON document.

    >>> query({"a": [{"b": 1}, {"b": 2}]}, "$.a[*].b")
    [1, 2]
    """
    current = [document]
    many = False
    for kind, keys in _steps(path):
        following: list[Any] = []
        for value in current:
            if kind == "all":
                following.extend(_children(value))
            elif kind == "deep":
                following.extend(_descend(value, keys[0]))
            else:
                for key in keys:
                    following.extend(_pick(value, key))
        many = many or kind != "pick" or len(keys) > 1
        current = following
    if many:
        return current
    if not current:
        raise JsonPathError(f"JSONPath {path!r} matches nothing in the document")
    return current[0]
