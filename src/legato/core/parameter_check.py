"""A JSON-schema-lite check of parameter values against a flow's parameter schema (names,
required fields, JSON types): what the server can check without the flow's code."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from legato.errors import ParameterError

_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list, tuple),
    "object": (dict,),
    "null": (type(None),),
}


def _types(prop: Mapping[str, Any]) -> set[str] | None:
    """The JSON types a property allows, or None when the schema does not say."""
    options = prop.get("anyOf") or prop.get("oneOf") or [prop]
    found: set[str] = set()
    for option in options:
        if not isinstance(option, Mapping):
            return None
        kind = option.get("type")
        if isinstance(kind, str) and kind in _JSON_TYPES:
            found.add(kind)
        elif isinstance(kind, list) and all(k in _JSON_TYPES for k in kind):
            found.update(kind)
        else:
            return None  # $ref, enum or anything richer: the run's own validation decides
    return found


def _matches(value: Any, kinds: set[str]) -> bool:
    for kind in kinds:
        if kind in ("integer", "number") and isinstance(value, bool):
            continue
        if kind == "integer" and isinstance(value, float) and value.is_integer():
            return True
        if isinstance(value, _JSON_TYPES[kind]):
            return True
    return False


def check_parameters(
    values: Mapping[str, Any], schema: Mapping[str, Any], where: str, *, complete: bool = True
) -> None:
    """Raise ParameterError listing every unknown, missing or mistyped parameter.

    `complete=False` skips the required check (for overrides of stored defaults).

    >>> check_parameters({"n": "x"}, {"properties": {"n": {"type": "integer"}}}, "flow 'f'")
    Traceback (most recent call last):
    legato.errors.ParameterError: ...
    """
    properties = schema.get("properties")
    if not isinstance(properties, Mapping):
        return
    problems: list[tuple[str, str]] = []
    for name, value in values.items():
        prop = properties.get(name)
        if not isinstance(prop, Mapping):
            problems.append((name, f"is not a parameter; known: {', '.join(sorted(properties))}"))
            continue
        kinds = _types(prop)
        if kinds and not _matches(value, kinds):
            problems.append((name, f"should be {' or '.join(sorted(kinds))}"))
    required = schema.get("required")
    if complete and isinstance(required, list):
        problems.extend(
            (str(name), "is required and has no default")
            for name in required
            if name not in values
        )
    if problems:
        detail = "; ".join(f"{field} {problem}" for field, problem in problems)
        raise ParameterError(
            f"{where} has invalid parameters ({detail}); fix them to match the flow's signature.",
            problems,
        )
