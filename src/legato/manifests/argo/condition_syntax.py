"""Shape checks for `when:` conditions before a run: balanced parentheses and quotes, closed
`{{...}}`, no operator without operands, no two values side by side, `==` not `=`. The YAML
runtime evaluates the condition after substituting variables; this only finds the typos
that would make every evaluation fail."""

from __future__ import annotations

import re

from .depends import ExpressionSyntaxError

_BINARY = ("&&", "||", "==", "!=", "<=", ">=", "=~", "!~", "<", ">", "+", "-", "*", "/", "%",
           "in", "IN", ",")
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      | (?P<op>&&|\|\||==|!=|<=|>=|=~|!~|[<>+*/%!(),-])
      | (?P<bad>=|&|\||'|")
      | (?P<word>[^\s()!<>=&|,'"+*/%]+)
    )""",
    re.VERBOSE,
)
_TAG = re.compile(r"\{\{.*?\}\}", re.DOTALL)


def _placeholders(text: str) -> str:
    """Each `{{...}}` becomes a same-length word, so offsets still point into the original."""
    result = _TAG.sub(lambda m: "v" * len(m.group(0)), text)
    start = result.find("{{")
    if start >= 0:
        raise ExpressionSyntaxError("a '{{' is never closed with '}}'", start)
    return result


def check_condition(text: str) -> None:
    """Raise ExpressionSyntaxError (with the 0-based offset) if `text` cannot be a condition.

    >>> check_condition("{{steps.flip.outputs.result}} == heads")
    >>> check_condition("{{inputs.parameters.n}} = 3")
    Traceback (most recent call last):
    ...
    legato.manifests.argo.depends.ExpressionSyntaxError: use '==' to compare, not '='
    """
    source = _placeholders(text).rstrip()
    if not source.strip():
        raise ExpressionSyntaxError("the condition is empty", 0)
    position = 0
    expect_value = True  # at the start, after '(' or a binary/unary operator
    depth: list[int] = []
    while position < len(source):
        match = _TOKEN.match(source, position)
        if match is None:  # only trailing spaces are left; rstrip removed them
            break
        offset = match.start(match.lastgroup or 0)
        kind, token = match.lastgroup, match.group(match.lastgroup or 0)
        position = match.end()
        if kind == "bad":
            if token == "=":
                raise ExpressionSyntaxError("use '==' to compare, not '='", offset)
            if token in ("'", '"'):
                raise ExpressionSyntaxError(f"a {token} quote is never closed", offset)
            raise ExpressionSyntaxError(f"use '{token * 2}', not '{token}'", offset)
        if kind in ("string", "word") and token not in ("in", "IN"):
            if not expect_value:
                raise ExpressionSyntaxError(
                    f"two values side by side before '{token}'; join them with an operator "
                    "or quote the text", offset)
            expect_value = False
        elif token == "(":
            if not expect_value:
                raise ExpressionSyntaxError("a '(' follows a value; add an operator", offset)
            depth.append(offset)
        elif token == ")":
            if not depth:
                raise ExpressionSyntaxError("a ')' has no matching '('", offset)
            if expect_value:
                raise ExpressionSyntaxError("a value is missing before ')'", offset)
            depth.pop()
        elif token == "!" or (token == "-" and expect_value):
            continue
        elif token in _BINARY:
            if expect_value:
                raise ExpressionSyntaxError(f"a value is missing before '{token}'", offset)
            expect_value = True
    if depth:
        raise ExpressionSyntaxError("a '(' is never closed", depth[-1])
    if expect_value:
        raise ExpressionSyntaxError("the condition ends with an operator; add a value",
                                    len(source))
