"""`-p key=value` parsing: JSON when the value parses, a string otherwise."""

from __future__ import annotations

from typing import Any

import click
import pytest

from legato.cli.params import parse_params, parse_value, string_parameters


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("3", 3),
        ("-1.5", -1.5),
        ("[1,2]", [1, 2]),
        ('{"a": [true, null]}', {"a": [True, None]}),
        ("true", True),
        ('"3"', "3"),
        ("hello", "hello"),
        ("", ""),
        ("hello world", "hello world"),
        ("[1,", "[1,"),
        ("2026-01-01", "2026-01-01"),
    ],
)
def test_parse_value_reads_json_else_keeps_the_string(raw: str, expected: Any) -> None:
    assert parse_value(raw) == expected


def test_parse_params_splits_at_the_first_equals_sign() -> None:
    assert parse_params(["n=3", "query=a=b", "name= spaced "]) == {
        "n": 3,
        "query": "a=b",
        "name": " spaced ",
    }


@pytest.mark.parametrize("option", ["n", "=3", " =3"])
def test_parse_params_rejects_options_without_key_and_value(option: str) -> None:
    with pytest.raises(click.BadParameter, match="KEY=VALUE"):
        parse_params([option])


def test_parse_params_rejects_a_parameter_given_twice() -> None:
    with pytest.raises(click.BadParameter, match="'n' is given twice"):
        parse_params(["n=1", "n=2"])


def test_string_parameters_keep_their_text_even_when_it_parses_as_json() -> None:
    schema = {"properties": {"name": {"type": "string"}, "n": {"type": "integer"},
                             "maybe": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                             "day": {"type": "string", "format": "date"}}}
    strings = string_parameters(schema)
    assert strings == {"name", "maybe"}
    assert parse_params(["name=3", "n=3", "maybe=null"], strings) == {
        "name": "3", "n": 3, "maybe": "null"}
