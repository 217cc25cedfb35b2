"""The `{{= expr }}` language: literals, operators, member access, functions, predicates,
and errors that name the column and the fix."""

from __future__ import annotations

from typing import Any

import pytest

from legato.manifests.argo.exprlang import ExprError, evaluate, parse, tokenize

ENV: dict[str, Any] = {
    "inputs": {"parameters": {"n": "4", "name": "World", "doc": '{"a": [{"b": 1}, {"b": 2}]}'}},
    "item": {"x": 3, "tags": ["a", "b"]},
    "steps": {"gen-list": {"outputs": {"result": "[1, 2, 3]"}}},
}


@pytest.mark.parametrize(("expression", "expected"), [
    ("1 + 2 * 3", 7),
    ("(1 + 2) * 3", 9),
    ("7 / 2", 3.5),
    ("7 % 3", 1),
    ("2 ** 10", 1024.0),
    ("-3 + +1", -2),
    ("0x10", 16),
    ("1.5e2", 150.0),
    ("'it\\'s'", "it's"),
    ('"a\\tb"', "a\tb"),
    ("`raw\\n`", "raw\\n"),
    ('"a" + "b"', "ab"),
    ("[1, 2] + [3]", [1, 2, 3]),
    ("true && !false", True),
    ("false or not false", True),
    ("1 < 2 and 2 <= 2 and 3 > 2 and 3 >= 3", True),
    ("1 == 1.0", True),
    ('"1" == 1', False),
    ("nil ?? 'fallback'", "fallback"),
    ("2 in [1, 2]", True),
    ("5 not in [1, 2]", True),
    ("'x' in {x: 1}", True),
    ("1..4", [1, 2, 3, 4]),
    ("1 > 0 ? 'yes' : 'no'", "yes"),
    ("1 < 0 ? 'yes' : 2 > 1 ? 'nested' : 'no'", "nested"),
    ('"abc" contains "b"', True),
    ('"abc" startsWith "ab" && "abc" endsWith "bc"', True),
    ('"abc" matches "^a.c$"', True),
    ("asInt(inputs.parameters.n) * 2", 8),
    ("asFloat('2.5') + 1", 3.5),
    ("inputs.parameters['name']", "World"),
    ("item.x + 1", 4),
    ("item.tags[1]", "b"),
    ("item.tags[-1]", "b"),
    ("item.missing ?? 'none'", "none"),
    ("item?.missing?.deeper", None),
    ("'hello'[1:3]", "el"),
    ("[1, 2, 3, 4][:2]", [1, 2]),
    ("steps['gen-list'].outputs.result", "[1, 2, 3]"),
    ("len(fromJson(steps['gen-list'].outputs.result))", 3),
    ("jsonpath(inputs.parameters.doc, '$.a[*].b')", [1, 2]),
    ("jsonpath(inputs.parameters.doc, '$.a[0].b')", 1),
    ("toJson({a: 1, b: [true, nil]})", '{"a":1,"b":[true,null]}'),
    ("string(42) + '!'", "42!"),
    ("lower('ABC') + upper('def')", "abcDEF"),
    ("split('a,b,c', ',')", ["a", "b", "c"]),
    ("join(['a', 'b'], '-')", "a-b"),
    ("contains('abc', 'c')", True),
    ("startsWith('abc', 'a') && endsWith('abc', 'c')", True),
    ("map([1, 2, 3], # * 2)", [2, 4, 6]),
    ("map([1, 2, 3], {# + 1})", [2, 3, 4]),
    ("filter([1, 2, 3, 4], # % 2 == 0)", [2, 4]),
    ("map(filter([{n: 1}, {n: 5}], .n > 2), .n)", [5]),
    ("all([1, 2], # > 0) && any([1, 2], # > 1) && none([1], # > 5)", True),
    ("count([1, 2, 3], # >= 2)", 2),
    ("sprig.replace('l', 'L', 'hello')", "heLLo"),
    ("sprig.trim('  x ') + sprig.upper('y')", "xY"),
    ("sprig.default('d', '')", "d"),
    ("sprig.add(1, '2', 3)", 6),
    ("sprig.splitList(',', 'a,b')", ["a", "b"]),
    ("max(3, 7, 5) - min([4, 2])", 5),
])
def test_expression_evaluates_to_expected_value(expression: str, expected: Any) -> None:
    assert evaluate(expression, ENV) == expected


@pytest.mark.parametrize(("expression", "fragment"), [
    ("1 +", "expected a value but found the end at column 4"),
    ("(1", "expected ')'"),
    ("1 2", "expected the end of the expression but found '2'"),
    ("a @ b", "unexpected character '@' at column 3"),
    ("unknown", "unknown name 'unknown'"),
    ("1 + 'a'", "'+' needs numbers"),
    ("1 && true", "'&&' needs true or false"),
    ("nope(1)", "unknown function 'nope'"),
    ("sprig.nope(1)", "unknown function sprig.nope"),
    ("asInt('x')", "asInt(): 'x' is not an integer"),
    ("1 / 0", "division by zero"),
    ("item.tags[5]", "index 5 is out of range"),
    ("'a' < 1", "cannot compare"),
    ("map(1, # * 2)", "map() needs a list"),
    ("filter([1], # + 1)", "must give true or false"),
    ("#", "'#' is only meaningful inside"),
    ("jsonpath('{}', 'a.b')", "must start with '$'"),
    ("jsonpath('{}', '$.a')", "matches nothing"),
])
def test_bad_expression_names_the_problem(expression: str, fragment: str) -> None:
    with pytest.raises(ExprError) as info:
        evaluate(expression, ENV)
    assert fragment in str(info.value)


def test_deep_nesting_is_refused_instead_of_overflowing_the_stack() -> None:
    with pytest.raises(ExprError, match="nests deeper"):
        parse("(" * 200 + "1" + ")" * 200)


def test_overlong_expression_is_refused() -> None:
    with pytest.raises(ExprError, match="keep it under"):
        tokenize("1+" * 6000 + "1")


def test_python_builtins_are_not_reachable() -> None:
    with pytest.raises(ExprError, match="unknown function '__import__'"):
        evaluate("__import__('os')", ENV)
    with pytest.raises(ExprError, match="unknown function"):
        evaluate("eval('1')", ENV)


def test_expressions_cannot_exhaust_memory_or_time() -> None:
    with pytest.raises(ExprError, match="longer than"):
        evaluate("1..100000000", ENV)
    with pytest.raises(ExprError, match="cannot be computed"):
        evaluate("10 ** 100000000", ENV)
    with pytest.raises(ExprError, match="over"):
        evaluate("sprig.repeat(100000000, 'xx')", ENV)
