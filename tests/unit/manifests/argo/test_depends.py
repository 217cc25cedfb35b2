"""The `depends` language: parsing, syntax errors with offsets, evaluation, and the meaning of
`dependencies:` lists."""

from __future__ import annotations

import pytest

from legato.manifests.argo.depends import (
    ExpressionSyntaxError,
    Outcome,
    dependencies_expression,
    parse_depends,
)
from legato.manifests.argo.model import ContinueOn


def test_precedence_and_parentheses_are_kept() -> None:
    expr = parse_depends("A && B.Failed || !(C.Skipped || D)")
    assert str(expr) == "(A && B.Failed) || !(C.Skipped || D)"
    assert expr.referenced_tasks() == ["A", "B", "C", "D"]


@pytest.mark.parametrize(
    ("text", "outcomes", "expected"),
    [
        ("A", {"A": "Succeeded"}, True),
        ("A", {"A": "Skipped"}, True),
        ("A", {"A": "Failed"}, False),
        ("A", {"A": Outcome("Failed", daemoned=True)}, True),
        ("A.Failed", {"A": "Failed"}, True),
        ("A.Errored", {"A": "Failed"}, False),
        ("A.Omitted", {"A": "Omitted"}, True),
        ("!A.Succeeded", {"A": "Errored"}, True),
        ("A && B", {"A": "Succeeded", "B": "Failed"}, False),
        ("A || B.Failed", {"A": "Failed", "B": "Failed"}, True),
        ("A.AnySucceeded", {"A": Outcome("Failed", children=("Failed", "Succeeded"))}, True),
        ("A.AnySucceeded", {"A": Outcome("Failed", children=("Failed",))}, False),
        ("A.AllFailed", {"A": Outcome("Failed", children=("Failed", "Errored"))}, True),
        ("A.AllFailed", {"A": Outcome("Failed", children=("Failed", "Succeeded"))}, False),
        ("A.AllFailed", {"A": Outcome("Failed")}, False),
        ("task-1.Succeeded && (task_2 || !task-3.Failed)",
         {"task-1": "Succeeded", "task_2": "Failed", "task-3": "Succeeded"}, True),
    ],
)
def test_evaluate_follows_argo_task_results(
    text: str, outcomes: dict[str, Outcome | str], expected: bool
) -> None:
    assert parse_depends(text).evaluate(outcomes) is expected


def test_evaluating_without_an_outcome_names_the_task() -> None:
    with pytest.raises(ValueError, match="'B'"):
        parse_depends("A && B").evaluate({"A": "Succeeded"})


@pytest.mark.parametrize(
    ("text", "offset", "words"),
    [
        ("", 0, "empty"),
        ("A &&", 4, "ends too early"),
        ("A && || B", 5, "task name before '||'"),
        ("(A || B", 0, "never closed"),
        ("A B", 2, "unexpected 'B'"),
        ("A.Succeded", 2, "did you mean 'Succeeded'"),
        ("A.", 2, "must follow the dot"),
        ("A & B", 2, "unexpected '&'"),
        ("A)", 1, "unexpected ')'"),
    ],
)
def test_syntax_errors_say_where(text: str, offset: int, words: str) -> None:
    with pytest.raises(ExpressionSyntaxError) as caught:
        parse_depends(text)
    assert caught.value.offset == offset
    assert words in str(caught.value)


def test_dependencies_are_an_and_of_bare_names() -> None:
    expr = dependencies_expression(["A", "B"], {})
    assert str(expr) == "A && B"
    assert expr.evaluate({"A": "Skipped", "B": "Succeeded"})
    assert not expr.evaluate({"A": "Failed", "B": "Succeeded"})


def test_continue_on_widens_what_a_dependency_accepts() -> None:
    expr = dependencies_expression(["A"], {"A": ContinueOn(failed=True)})
    assert expr.evaluate({"A": "Failed"})
    assert not expr.evaluate({"A": "Errored"})
    both = dependencies_expression(["A"], {"A": ContinueOn(failed=True, error=True)})
    assert both.evaluate({"A": "Errored"})
