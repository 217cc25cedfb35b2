"""The `{{= expr }}` expression language of Argo manifests: the subset of expr-lang that
workflows use, with a hand-written tokenizer, a precedence-climbing parser and a tree walker.
Nothing here ever reaches Python's eval; functions come from `exprfuncs`."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from legato.errors import ManifestError
from legato.manifests.argo import exprfuncs

# A node of the syntax tree: (kind, ...children). Tuples keep evaluation allocation-light.
Node = tuple[Any, ...]
MAX_DEPTH = 64
MAX_LENGTH = 10_000

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<num>\d+\.\d+(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+|0[xX][0-9a-fA-F]+|\d+)
    | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
    | (?P<name>[A-Za-z_$][A-Za-z0-9_$]*)
    | (?P<op>\?\.|\?\?|\.\.|==|!=|<=|>=|&&|\|\||\*\*|[-+*/%<>!?:.,()\[\]{}\#^])
    )""",
    re.VERBOSE,
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "0": "\0"}
_WORD_OPS = {"and": "&&", "or": "||", "not": "!", "in": "in", "matches": "matches",
             "contains": "contains", "startsWith": "startsWith", "endsWith": "endsWith"}
_COMPARE = {"==", "!=", "<", ">", "<=", ">=", "in", "not in", "matches", "contains",
            "startsWith", "endsWith"}
_BINARY_LEVELS: list[set[str]] = [
    {"??"}, {"||"}, {"&&"}, _COMPARE, {".."}, {"+", "-"}, {"*", "/", "%"},
]
_PREDICATES = {"map", "filter", "all", "any", "none", "one", "count", "find", "findIndex",
               "sortBy", "groupBy"}
_CONSTANTS = {"true": True, "false": False, "nil": None, "null": None}


class ExprError(ManifestError):
    """An expression could not be parsed or evaluated."""


@dataclass(frozen=True)
class Token:
    kind: str  # num, str, name, op, end
    value: Any
    pos: int


def tokenize(text: str) -> list[Token]:
    """Split an expression into tokens; an unknown character is an error naming its column."""
    if len(text) > MAX_LENGTH:
        raise ExprError(f"expression is {len(text)} characters long; keep it under {MAX_LENGTH}.")
    tokens: list[Token] = []
    pos = 0
    end = len(text.rstrip())
    while pos < end:
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            col = pos + len(text[pos:]) - len(text[pos:].lstrip())
            raise ExprError(
                f"unexpected character {text[col]!r} at column {col + 1} of expression "
                f"{text!r}; check quoting and operators.")
        kind = match.lastgroup or "op"
        raw = match.group(kind)
        start = match.start(kind)
        tokens.append(Token(kind, _token_value(kind, raw, text), start))
        pos = match.end()
    tokens.append(Token("end", None, len(text)))
    return tokens


def _token_value(kind: str, raw: str, text: str) -> Any:
    if kind == "num":
        if raw[:2].lower() == "0x":
            return int(raw, 16)
        return float(raw) if any(c in raw for c in ".eE") else int(raw)
    if kind == "str":
        if raw[0] == "`":
            return raw[1:-1]
        return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), raw[1:-1])
    return raw


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0

    # -- token helpers --------------------------------------------------------------------
    def peek(self, offset: int = 0) -> Token:
        return self.tokens[min(self.i + offset, len(self.tokens) - 1)]

    def take(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def at(self, value: str) -> bool:
        token = self.peek()
        return token.kind in ("op", "name") and token.value == value

    def expect(self, value: str) -> Token:
        if not self.at(value):
            self.fail(f"expected {value!r}")
        return self.take()

    def fail(self, what: str) -> None:
        token = self.peek()
        found = "the end" if token.kind == "end" else repr(str(token.value))
        raise ExprError(f"{what} but found {found} at column {token.pos + 1} of expression "
                        f"{self.text!r}; fix the expression.")

    def binary_op(self) -> str | None:
        token = self.peek()
        if token.kind == "op":
            return str(token.value)
        if token.kind == "name":
            if token.value == "not" and self.peek(1).kind == "name" and self.peek(1).value == "in":
                return "not in"
            mapped = _WORD_OPS.get(token.value)
            if mapped is not None and mapped != "!":
                return mapped
        return None

    # -- grammar --------------------------------------------------------------------------
    def parse(self) -> Node:
        node = self.expression()
        if self.peek().kind != "end":
            self.fail("expected the end of the expression")
        return node

    def expression(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExprError(f"expression {self.text!r} nests deeper than {MAX_DEPTH} levels; "
                            "simplify it.")
        node = self.binary(0)
        if self.at("?"):
            self.take()
            yes = self.expression()
            self.expect(":")
            no = self.expression()
            node = ("cond", node, yes, no)
        self.depth -= 1
        return node

    def binary(self, level: int) -> Node:
        if level == len(_BINARY_LEVELS):
            return self.power()
        left = self.binary(level + 1)
        while True:
            op = self.binary_op()
            if op is None or op not in _BINARY_LEVELS[level]:
                return left
            self.take()
            if op == "not in":
                self.take()
            right = self.binary(level + 1)
            left = ("bin", op, left, right)

    def power(self) -> Node:
        base = self.unary()
        if self.at("**") or self.at("^"):
            self.take()
            return ("bin", "**", base, self.power())
        return base

    def unary(self) -> Node:
        if self.at("!") or self.at("not"):
            self.take()
            return ("not", self.unary())
        if self.at("-") or self.at("+"):
            op = self.take().value
            return ("neg", self.unary()) if op == "-" else ("pos", self.unary())
        return self.postfix(self.primary())

    def primary(self) -> Node:
        token = self.take()
        if token.kind in ("num", "str"):
            return ("lit", token.value)
        if token.kind == "name":
            if token.value in _CONSTANTS:
                return ("lit", _CONSTANTS[token.value])
            if self.at("("):
                return self.call(token.value)
            return ("var", token.value)
        if token.kind == "op":
            if token.value == "(":
                node = self.expression()
                self.expect(")")
                return node
            if token.value == "[":
                return ("list", self.items("]"))
            if token.value == "{":
                return self.map_literal()
            if token.value == "#":
                return ("item",)
            if token.value == "." and self.peek().kind == "name":
                # `.field` inside a predicate means `#.field`.
                return ("member", ("item",), ("lit", self.take().value), False)
        self.i -= 1
        self.fail("expected a value")
        raise AssertionError  # fail() always raises

    def items(self, close: str) -> list[Node]:
        found: list[Node] = []
        while not self.at(close):
            found.append(self.expression())
            if not self.at(close):
                self.expect(",")
        self.take()
        return found

    def map_literal(self) -> Node:
        pairs: list[tuple[Node, Node]] = []
        while not self.at("}"):
            key = self.take()
            if key.kind not in ("name", "str", "num"):
                self.i -= 1
                self.fail("expected a map key")
            self.expect(":")
            pairs.append((("lit", str(key.value)), self.expression()))
            if not self.at("}"):
                self.expect(",")
        self.take()
        return ("map", pairs)

    def call(self, name: str) -> Node:
        self.expect("(")
        args: list[Node] = []
        while not self.at(")"):
            if name in _PREDICATES and len(args) == 1:
                args.append(("closure", self.closure()))
            else:
                args.append(self.expression())
            if not self.at(")"):
                self.expect(",")
        self.take()
        return ("call", name, args)

    def closure(self) -> Node:
        if self.at("{"):
            self.take()
            body = self.expression()
            self.expect("}")
            return body
        return self.expression()

    def postfix(self, node: Node) -> Node:
        while True:
            if self.at(".") or self.at("?."):
                optional = self.take().value == "?."
                name = self.take()
                if name.kind != "name":
                    self.i -= 1
                    self.fail("expected a field name after '.'")
                if self.at("("):
                    node = ("method", node, name.value, self.call_args())
                else:
                    node = ("member", node, ("lit", name.value), optional)
            elif self.at("["):
                self.take()
                node = self.index_or_slice(node)
            else:
                return node

    def call_args(self) -> list[Node]:
        self.expect("(")
        return self.items(")")

    def index_or_slice(self, node: Node) -> Node:
        start: Node | None = None
        if not self.at(":"):
            start = self.expression()
            if self.at("]"):
                self.take()
                return ("member", node, start, False)
        self.expect(":")
        stop = None if self.at("]") else self.expression()
        self.expect("]")
        return ("slice", node, start, stop)


def parse(text: str) -> Node:
    """The syntax tree of an expression; raises ExprError naming the column of a mistake."""
    return _Parser(text).parse()


def evaluate(text: str, env: Mapping[str, Any]) -> Any:
    """Evaluate an expression against named values (nested dicts and lists).

    >>> evaluate("asInt(inputs.parameters.n) * 2 + 1", {"inputs": {"parameters": {"n": "4"}}})
    9
    """
    return _Evaluator(text, env).eval(parse(text))


class _Evaluator:
    def __init__(self, text: str, env: Mapping[str, Any]) -> None:
        self.text = text
        self.env = env
        self.items: list[Any] = []

    def fail(self, message: str) -> ExprError:
        return ExprError(f"expression {self.text!r}: {message}.")

    def eval(self, node: Node) -> Any:
        kind = node[0]
        if kind == "lit":
            return node[1]
        if kind == "var":
            return self.variable(node[1])
        if kind == "member":
            return self.member(self.eval(node[1]), self.eval(node[2]), node[3])
        if kind == "bin":
            return self.binary(node[1], node[2], node[3])
        if kind == "not":
            return not self.truth(self.eval(node[1]), "'!'")
        if kind == "neg":
            return -self.number(self.eval(node[1]), "'-'")
        if kind == "pos":
            return self.number(self.eval(node[1]), "'+'")
        if kind == "cond":
            taken = node[2] if self.truth(self.eval(node[1]), "'?:'") else node[3]
            return self.eval(taken)
        if kind == "list":
            return [self.eval(child) for child in node[1]]
        if kind == "map":
            return {str(self.eval(k)): self.eval(v) for k, v in node[1]}
        if kind == "item":
            if not self.items:
                raise self.fail("'#' is only meaningful inside map(), filter() and similar")
            return self.items[-1]
        if kind == "call":
            return self.call(node[1], node[2])
        if kind == "method":
            return self.method(node)
        if kind == "slice":
            return self.slice(node)
        raise self.fail(f"cannot evaluate {kind}")

    def variable(self, name: str) -> Any:
        if name in self.env:
            return self.env[name]
        if name == "sprig":
            return exprfuncs.SPRIG_NAMESPACE
        known = ", ".join(sorted(self.env)) or "none"
        raise self.fail(f"unknown name {name!r} (known names: {known})")

    def member(self, value: Any, key: Any, optional: bool) -> Any:
        if value is None and optional:
            return None
        if isinstance(value, Mapping):
            return value.get(key) if isinstance(key, str) else value.get(str(key))
        if isinstance(value, (list, tuple, str)):
            if isinstance(key, bool) or not isinstance(key, int):
                raise self.fail(f"cannot index a {_kind(value)} with {key!r}; use a number")
            try:
                return value[key]
            except IndexError:
                raise self.fail(f"index {key} is out of range for a {_kind(value)} of "
                                f"length {len(value)}") from None
        if value is None:
            raise self.fail(f"cannot read {key!r} of nil; check the name before it")
        raise self.fail(f"cannot read {key!r} of a {_kind(value)}")

    def slice(self, node: Node) -> Any:
        value = self.eval(node[1])
        if not isinstance(value, (list, str)):
            raise self.fail(f"cannot slice a {_kind(value)}")
        start = 0 if node[2] is None else self.integer(self.eval(node[2]), "a slice")
        stop = len(value) if node[3] is None else self.integer(self.eval(node[3]), "a slice")
        return value[start:stop]

    def truth(self, value: Any, where: str) -> bool:
        if isinstance(value, bool):
            return value
        raise self.fail(f"{where} needs true or false but got {_kind(value)} {value!r}")

    def number(self, value: Any, where: str) -> int | float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        raise self.fail(f"{where} needs a number but got {_kind(value)} {value!r}; "
                        "convert it with asInt() or asFloat()")

    def integer(self, value: Any, where: str) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise self.fail(f"{where} needs an integer but got {_kind(value)} {value!r}")

    def binary(self, op: str, left_node: Node, right_node: Node) -> Any:
        if op == "&&":
            return self.truth(self.eval(left_node), "'&&'") and self.truth(
                self.eval(right_node), "'&&'")
        if op == "||":
            return self.truth(self.eval(left_node), "'||'") or self.truth(
                self.eval(right_node), "'||'")
        left = self.eval(left_node)
        if op == "??":
            return self.eval(right_node) if left is None else left
        right = self.eval(right_node)
        try:
            return exprfuncs.apply_operator(op, left, right)
        except exprfuncs.FunctionError as exc:
            raise self.fail(str(exc)) from None

    def call(self, name: str, args: list[Node]) -> Any:
        if name in _PREDICATES:
            return self.predicate(name, args)
        function = exprfuncs.BUILTINS.get(name)
        if function is None:
            raise self.fail(f"unknown function {name!r}; see the expression functions in "
                            "docs/yaml-workflows.md")
        return self.invoke(name, function, [self.eval(a) for a in args])

    def method(self, node: Node) -> Any:
        target, name, args = node[1], node[2], node[3]
        if target == ("var", "sprig") and "sprig" not in self.env:
            function = exprfuncs.SPRIG.get(name)
            if function is None:
                raise self.fail(f"unknown function sprig.{name}")
            return self.invoke(f"sprig.{name}", function, [self.eval(a) for a in args])
        raise self.fail(f"{name}() is not a method; call it as {name}(value, ...)")

    def invoke(self, name: str, function: Callable[..., Any], args: list[Any]) -> Any:
        try:
            return function(*args)
        except exprfuncs.FunctionError as exc:
            raise self.fail(f"{name}(): {exc}") from None
        except TypeError:
            raise self.fail(f"{name}() got {len(args)} argument(s); check its signature") from None

    def predicate(self, name: str, args: list[Node]) -> Any:
        if len(args) != 2 or args[1][0] != "closure":
            raise self.fail(f"{name}() takes a list and a predicate, e.g. {name}(xs, # > 1)")
        values = self.eval(args[0])
        if isinstance(values, Mapping):
            values = list(values.values())
        if not isinstance(values, (list, tuple)):
            raise self.fail(f"{name}() needs a list but got {_kind(values)}")
        body = args[1][1]
        results: list[Any] = []
        for value in values:
            self.items.append(value)
            try:
                results.append(self.eval(body))
            finally:
                self.items.pop()
        return exprfuncs.finish_predicate(name, list(values), results, self.fail)


def _kind(value: Any) -> str:
    return exprfuncs.kind(value)
