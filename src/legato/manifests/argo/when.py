"""Argo's `when` conditions, read after `{{...}}` substitution: comparisons (==, !=, <, >,
<=, >=, =~ and !~ for regular expressions, `in (a, b)`), &&, ||, !, parentheses, and
operands that are quoted strings, numbers, true/false or bare words (`heads`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from legato.errors import ManifestError

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    | (?P<op>==|!=|<=|>=|=~|!~|&&|\|\||[<>!(),])
    | (?P<word>[^\s"'()<>=!&|,]+)
    )""",
    re.VERBOSE,
)
_COMPARISONS = ("==", "!=", "<=", ">=", "<", ">", "=~", "!~", "in")
MAX_LENGTH = 10_000


class WhenError(ManifestError):
    """A `when` condition could not be read or compared."""


@dataclass(frozen=True)
class _Token:
    kind: str  # str, op, word, end
    text: str
    pos: int


def _tokens(text: str) -> list[_Token]:
    found: list[_Token] = []
    pos, end = 0, len(text.rstrip())
    while pos < end:
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise WhenError(f"cannot read the condition {text!r} at column {pos + 1}; quote "
                            "strings that contain spaces or operators.")
        kind = match.lastgroup or "word"
        raw = match.group(kind)
        if kind == "str":
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        elif kind == "word" and raw == "in":
            kind = "op"
        found.append(_Token(kind, raw, match.start(kind)))
        pos = match.end()
    found.append(_Token("end", "", len(text)))
    return found


def _operand(token: _Token) -> Any:
    """A bare word becomes a number or boolean when it reads as one, else a string."""
    if token.kind == "str":
        return token.text
    word = token.text
    if word in ("true", "false"):
        return word == "true"
    try:
        return int(word)
    except ValueError:
        pass
    try:
        return float(word)
    except ValueError:
        return word


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        return None


class _Condition:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.i = 0

    def peek(self) -> _Token:
        return self.tokens[self.i]

    def take(self) -> _Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def fail(self, what: str) -> WhenError:
        token = self.peek()
        found = "the end" if token.kind == "end" else repr(token.text)
        return WhenError(f"condition {self.text!r}: {what} but found {found} at column "
                         f"{token.pos + 1}; fix the when expression.")

    def is_op(self, *ops: str) -> bool:
        token = self.peek()
        return token.kind == "op" and token.text in ops

    def parse(self) -> tuple[Any, ...]:
        if self.peek().kind == "end":
            raise self.fail("expected a condition")
        node = self.disjunction()
        if self.peek().kind != "end":
            raise self.fail("expected && or || or the end")
        return node

    def disjunction(self) -> tuple[Any, ...]:
        node = self.conjunction()
        while self.is_op("||"):
            self.take()
            node = ("or", node, self.conjunction())
        return node

    def conjunction(self) -> tuple[Any, ...]:
        node = self.negation()
        while self.is_op("&&"):
            self.take()
            node = ("and", node, self.negation())
        return node

    def negation(self) -> tuple[Any, ...]:
        if self.is_op("!"):
            self.take()
            return ("not", self.negation())
        return self.comparison()

    def comparison(self) -> tuple[Any, ...]:
        left = self.atom()
        if self.is_op(*_COMPARISONS):
            op = self.take().text
            if op == "in":
                return ("in", left, self.options())
            return ("cmp", op, left, self.atom())
        return left

    def options(self) -> list[tuple[Any, ...]]:
        if not self.is_op("("):
            raise self.fail("expected '(' after in")
        self.take()
        options: list[tuple[Any, ...]] = []
        while not self.is_op(")"):
            options.append(self.atom())
            if not self.is_op(")"):
                if not self.is_op(","):
                    raise self.fail("expected ',' or ')'")
                self.take()
        self.take()
        return options

    def atom(self) -> tuple[Any, ...]:
        if self.is_op("("):
            self.take()
            node = self.disjunction()
            if not self.is_op(")"):
                raise self.fail("expected ')'")
            self.take()
            return node
        token = self.peek()
        if token.kind in ("str", "word"):
            self.take()
            return ("lit", _operand(token))
        raise self.fail("expected a value")

    # -- evaluation -----------------------------------------------------------------------
    def boolean(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        raise WhenError(f"condition {self.text!r} gives {value!r}, not true or false; compare "
                        "it with ==, e.g. \"{{...}} == value\".")

    def eval(self, node: tuple[Any, ...]) -> Any:
        kind = node[0]
        if kind == "lit":
            return node[1]
        if kind == "or":
            return self.boolean(self.eval(node[1])) or self.boolean(self.eval(node[2]))
        if kind == "and":
            return self.boolean(self.eval(node[1])) and self.boolean(self.eval(node[2]))
        if kind == "not":
            return not self.boolean(self.eval(node[1]))
        if kind == "in":
            left = self.eval(node[1])
            return any(self.compare("==", left, self.eval(o)) for o in node[2])
        return self.compare(node[1], self.eval(node[2]), self.eval(node[3]))

    def compare(self, op: str, left: Any, right: Any) -> bool:
        if op in ("=~", "!~"):
            try:
                found = re.search(_text(right), _text(left)) is not None
            except re.error as exc:
                raise WhenError(f"condition {self.text!r}: bad regular expression {right!r} "
                                f"({exc}); fix the pattern.") from None
            return found if op == "=~" else not found
        a, b = _as_number(left), _as_number(right)
        numeric = a is not None and b is not None
        if op in ("==", "!="):
            equal = a == b if numeric else _text(left) == _text(right)
            return equal if op == "==" else not equal
        if not numeric:
            if isinstance(left, bool) or isinstance(right, bool):
                raise WhenError(f"condition {self.text!r}: cannot order booleans with {op}; "
                                "use == or !=.")
            x, y = _text(left), _text(right)
            return {"<": x < y, ">": x > y, "<=": x <= y, ">=": x >= y}[op]
        assert a is not None and b is not None
        return {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def evaluate_when(condition: str) -> bool:
    """Whether a substituted `when` condition holds.

    >>> evaluate_when("heads == heads && 5 > 3")
    True
    """
    if len(condition) > MAX_LENGTH:
        raise WhenError(f"the condition is {len(condition)} characters long; keep it under "
                        f"{MAX_LENGTH}.")
    parser = _Condition(condition)
    return parser.boolean(parser.eval(parser.parse()))


def check_when(condition: str) -> None:
    """Raise WhenError if a condition cannot be read, with each `{{...}}` standing for a
    value; for validation before anything runs."""
    _Condition(re.sub(r"\{\{.*?\}\}", "x", condition, flags=re.DOTALL)).parse()
