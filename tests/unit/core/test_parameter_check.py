"""The server's JSON-schema-lite check of deployment parameters: names, required, JSON types."""

from __future__ import annotations

import pytest

from legato.core.parameter_check import check_parameters
from legato.errors import ParameterError

SCHEMA = {
    "properties": {
        "name": {"type": "string"},
        "n": {"type": "integer"},
        "ratio": {"type": "number"},
        "maybe": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "when": {"type": "string", "format": "date-time"},
        "model": {"$ref": "#/$defs/Model"},
    },
    "required": ["name"],
}


def test_matching_values_pass() -> None:
    check_parameters({"name": "a", "n": 2, "ratio": 1, "maybe": None, "model": {"x": 1}},
                     SCHEMA, "deployment 'd'")
    check_parameters({"n": 2.0}, SCHEMA, "deployment 'd'", complete=False)


def test_every_bad_field_is_listed() -> None:
    with pytest.raises(ParameterError) as caught:
        check_parameters({"n": True, "ratio": "x", "extra": 1}, SCHEMA, "deployment 'd'")
    assert dict(caught.value.errors) == {
        "n": "should be integer",
        "ratio": "should be number",
        "extra": "is not a parameter; known: maybe, model, n, name, ratio, when",
        "name": "is required and has no default",
    }
    assert str(caught.value).startswith(
        "deployment 'd' has invalid parameters (n should be integer; ratio should be number"
    )


def test_a_schema_without_properties_checks_nothing() -> None:
    check_parameters({"anything": object()}, {}, "deployment 'd'")
