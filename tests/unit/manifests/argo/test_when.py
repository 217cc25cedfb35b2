"""Argo's `when` grammar after substitution: comparisons, regexes, boolean operators, quoted
and bare operands, and readable errors."""

from __future__ import annotations

import pytest

from legato.manifests.argo.when import WhenError, check_when, evaluate_when


@pytest.mark.parametrize(("condition", "expected"), [
    ("heads == heads", True),
    ("tails == heads", False),
    ("tails != heads", True),
    ("5 > 3", True),
    ("10 > 9", True),  # numeric, not string, order
    ("2.5 <= 2.5", True),
    ("-1 < 0", True),
    ("1.0 == 1", True),
    ("abc < abd", True),
    ("'a b' == \"a b\"", True),
    ("prod-eu =~ '^prod'", True),
    ("staging !~ '^prod'", True),
    ("5 > 3 && !(2 > 3)", True),
    ("false || true", True),
    ("true && false || true", True),
    ("!(true && false)", True),
    ("3 in (1, 2, 3)", True),
    ("b in (a, c)", False),
    ("'' == ''", True),
    ("true", True),
    ("OK == OK && 7 >= 7", True),
])
def test_condition_evaluates(condition: str, expected: bool) -> None:
    assert evaluate_when(condition) is expected


@pytest.mark.parametrize(("condition", "fragment"), [
    ("", "expected a condition"),
    ("== x", "expected a value but found '=='"),
    ("a ==", "expected a value but found the end"),
    ("(a == b", "expected ')'"),
    ("a b", "expected && or || or the end but found 'b'"),
    ("x", "gives 'x', not true or false"),
    ("true > false", "cannot order booleans"),
    ("a =~ '('", "bad regular expression"),
    ("a in b", "expected '(' after in"),
])
def test_bad_condition_is_reported(condition: str, fragment: str) -> None:
    with pytest.raises(WhenError) as info:
        evaluate_when(condition)
    assert fragment in str(info.value)


def test_check_when_accepts_placeholders_and_rejects_bad_syntax() -> None:
    check_when("{{steps.flip.outputs.result}} == heads && {{inputs.parameters.n}} > 2")
    with pytest.raises(WhenError, match="expected a value"):
        check_when("{{steps.flip.outputs.result}} == ")
