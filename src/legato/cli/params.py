"""Parsing of `-p key=value` options: values that parse as JSON become JSON values (numbers,
lists, objects, booleans, null); anything else stays a string."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import click
import orjson


def parse_value(raw: str) -> Any:
    """Read one parameter value.

    >>> parse_value("3"), parse_value("[1, 2]"), parse_value("hello")
    (3, [1, 2], 'hello')
    """
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw


def string_parameters(schema: Mapping[str, Any]) -> frozenset[str]:
    """Names of parameters whose JSON schema says they are strings (keep `-p` text as is).

    >>> sorted(string_parameters({"properties": {"a": {"type": "string"}, "b": {"type": "integer"}}}))
    ['a']
    """
    names = set()
    for name, prop in (schema.get("properties") or {}).items():
        options = prop.get("anyOf") or [prop]
        types = {o.get("type") for o in options if isinstance(o, Mapping)}
        if "string" in types and types <= {"string", "null"} and "format" not in prop:
            names.add(name)
    return frozenset(names)


def parse_params(options: Iterable[str], strings: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Turn repeated `-p key=value` options into a parameter mapping; values of parameters
    named in `strings` stay text (so `-p name=3` gives "3" for a str parameter).

    >>> parse_params(["n=3", "name=world"])
    {'n': 3, 'name': 'world'}
    """
    params: dict[str, Any] = {}
    for option in options:
        key, sep, raw = option.partition("=")
        key = key.strip()
        if not sep or not key:
            raise click.BadParameter(
                f"{option!r} is not KEY=VALUE; write it like -p n=3 or -p name=world.",
                param_hint="'-p'",
            )
        if key in params:
            raise click.BadParameter(
                f"parameter {key!r} is given twice; pass each parameter once.",
                param_hint="'-p'",
            )
        params[key] = raw if key in strings else parse_value(raw)
    return params
