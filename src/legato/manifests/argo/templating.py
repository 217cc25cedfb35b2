"""Argo's `{{...}}` substitution: `{{inputs.parameters.x}}` looks a dotted name up in a flat
scope of strings, `{{= expr }}` evaluates an expression (see `exprlang`) against the same
scope turned into nested maps. An unresolved name is an error naming it and the known ones."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any

from legato.errors import ManifestError
from legato.manifests.argo import exprlang
from legato.manifests.argo.exprfuncs import to_string

_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_SIMPLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*(?:\.[A-Za-z0-9_\-]+|\[\d+\])*$")


class UnresolvedVariable(ManifestError):
    """A `{{name}}` in a manifest names nothing in scope where it is used."""

    def __init__(self, message: str, name: str) -> None:
        super().__init__(message)
        self.name = name


def placeholders(text: str) -> list[str]:
    """The inside of every `{{...}}` in a string, stripped.

    >>> placeholders("echo {{inputs.parameters.msg}} {{= 1 + 1 }}")
    ['inputs.parameters.msg', '= 1 + 1']
    """
    return [m.group(1).strip() for m in _PLACEHOLDER.finditer(text)]


def nest(scope: Mapping[str, Any]) -> dict[str, Any]:
    """Flat dotted names to nested maps, for expressions: {"a.b": 1} -> {"a": {"b": 1}}.

    A name that is both a value and a prefix (`workflow.parameters` and
    `workflow.parameters.n`) becomes the map, so `workflow.parameters.n` reads in both forms."""
    root: dict[str, Any] = {}
    # Shorter names first: a longer name later turns a value at its prefix into a map.
    for name in sorted(scope, key=lambda n: n.count(".")):
        parts = name.split(".")
        node = root
        for part in parts[:-1]:
            child = node.get(part)
            # A copy, so a structured value from the scope (an item) is never changed.
            child = node[part] = dict(child) if isinstance(child, dict) else {}
            node = child
        node[parts[-1]] = scope[name]
    return root


def _lookup(name: str, scope: Mapping[str, Any]) -> tuple[bool, Any]:
    if name in scope:
        return True, scope[name]
    # `item.key` / `item[0]` into a structured item (withItems of maps, withParam of JSON).
    head = re.split(r"[.\[]", name, maxsplit=1)[0]
    if head in scope and _SIMPLE_NAME.match(name):
        value: Any = scope[head]
        for part in re.findall(r"\.([A-Za-z0-9_\-]+)|\[(\d+)\]", name[len(head):]):
            key, index = part
            if key and isinstance(value, Mapping) and key in value:
                value = value[key]
            elif index and isinstance(value, list) and int(index) < len(value):
                value = value[int(index)]
            else:
                return False, None
        return True, value
    return False, None


def resolve(name: str, scope: Mapping[str, Any], where: str) -> Any:
    """The value of one `{{name}}`; UnresolvedVariable if nothing in scope has that name."""
    found, value = _lookup(name, scope)
    if found:
        return value
    close = difflib.get_close_matches(name, list(scope), n=1, cutoff=0.75)
    hint = f"did you mean {{{{{close[0]}}}}}?" if close else _known(scope, name)
    raise UnresolvedVariable(
        f"{where}: {{{{{name}}}}} is not defined there; {hint}", name)


def _known(scope: Mapping[str, Any], name: str) -> str:
    prefix = name.split(".")[0]
    near = sorted(n for n in scope if n.split(".")[0] == prefix)[:8]
    if near:
        return "names defined with that prefix: " + ", ".join(near) + "."
    return "define it as an input or argument, or check the spelling."


def evaluate(expression: str, scope: Mapping[str, Any], where: str) -> Any:
    """The value of a `{{= expr }}` (without the braces and '=')."""
    try:
        return exprlang.evaluate(expression, nest(scope))
    except exprlang.ExprError as exc:
        raise ManifestError(f"{where}: {exc}") from None


def substitute(text: str, scope: Mapping[str, Any], where: str, *,
               keep_unknown: frozenset[str] = frozenset()) -> str:
    """Replace every `{{...}}` in a string.

    `keep_unknown` lists name prefixes whose unresolved placeholders stay as written, for
    values that only exist later (e.g. `{{workflow.status}}` before the exit handler runs).

    >>> substitute("hi {{inputs.parameters.who}}", {"inputs.parameters.who": "Ada"}, "step")
    'hi Ada'
    """
    if "{{" not in text:
        return text

    def replace(match: re.Match[str]) -> str:
        inner = match.group(1).strip()
        if inner.startswith("="):
            return to_string(evaluate(inner[1:], scope, where))
        if keep_unknown and inner.split(".")[0] in keep_unknown and not _lookup(inner, scope)[0]:
            return match.group(0)
        return to_string(resolve(inner, scope, where))

    return _PLACEHOLDER.sub(replace, text)


def substitute_all(value: Any, scope: Mapping[str, Any], where: str, *,
                   keep_unknown: frozenset[str] = frozenset()) -> Any:
    """`substitute` over every string inside nested lists and maps (keys included)."""
    if isinstance(value, str):
        return substitute(value, scope, where, keep_unknown=keep_unknown)
    if isinstance(value, list):
        return [substitute_all(v, scope, where, keep_unknown=keep_unknown) for v in value]
    if isinstance(value, Mapping):
        return {substitute(str(k), scope, where, keep_unknown=keep_unknown):
                substitute_all(v, scope, where, keep_unknown=keep_unknown)
                for k, v in value.items()}
    return value
