"""Shape checks of `when:` conditions: valid Argo conditions pass, typos say where."""

from __future__ import annotations

import pytest

from legato.manifests.argo.condition_syntax import check_condition
from legato.manifests.argo.depends import ExpressionSyntaxError


@pytest.mark.parametrize(
    "text",
    [
        "{{steps.flip-coin.outputs.result}} == heads",
        "{{inputs.parameters.n}} > 5 && ({{item}} != 'a b' || !{{workflow.status}})",
        '{{steps.x.outputs.result}} =~ "^ab.*"',
        "{{item}} in (1, 2, 3)",
        "-1 < {{item}}",
        "{{= asInt(inputs.parameters.n) > 2 }}",
        "true",
    ],
)
def test_argo_conditions_pass(text: str) -> None:
    check_condition(text)


@pytest.mark.parametrize(
    ("text", "offset", "words"),
    [
        ("{{x}} = 3", 6, "use '=='"),
        ("{{x}} == ", 8, "ends with an operator"),
        ("({{x}} == 1", 0, "never closed"),
        ("{{x}} == 1)", 10, "no matching '('"),
        ("{{x}} == tails heads", 15, "side by side"),
        ("{{x} == 1", 0, "'{{' is never closed"),
        ('{{x}} == "abc', 9, "quote is never closed"),
        ("{{x}} & {{y}}", 6, "use '&&'"),
        ("   ", 0, "empty"),
        ("== 1", 0, "missing before '=='"),
        ("{{x}} == ()", 10, "missing before ')'"),
    ],
)
def test_condition_typos_say_where(text: str, offset: int, words: str) -> None:
    with pytest.raises(ExpressionSyntaxError) as caught:
        check_condition(text)
    assert caught.value.offset == offset
    assert words in str(caught.value)
