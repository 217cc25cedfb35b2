"""The DAG `depends` language: `A && (B.Succeeded || !C.Failed)` parsed into a small AST that
names the tasks it reads and evaluates against task outcomes; `dependencies: [A, B]` is the
same as `depends: "A && B"`, widened by each upstream task's continueOn."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping
from collections.abc import Sequence as Seq
from dataclasses import dataclass
from typing import Protocol

from legato.errors import ManifestError

RESULTS = ("Succeeded", "Failed", "Errored", "Skipped", "Omitted", "Daemoned",
           "AnySucceeded", "AllFailed")
# What a bare task name means, for compatibility with `dependencies:`.
BARE_RESULTS = ("Succeeded", "Skipped", "Daemoned")
_TOKEN = re.compile(r"\s*(?:(&&|\|\||!|\(|\))|([A-Za-z0-9_][A-Za-z0-9_-]*)(?:\.([A-Za-z]*))?)")


class ExpressionSyntaxError(ManifestError):
    """A `depends` or `when` expression does not parse; `offset` is where (0-based)."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a finished task ended: its phase, whether it runs as a daemon, and the phases of
    its children when it loops (withItems/withParam/withSequence)."""

    phase: str  # Succeeded, Failed, Errored, Skipped or Omitted
    daemoned: bool = False
    children: tuple[str, ...] = ()

    def holds(self, result: str) -> bool:
        if result == "Daemoned":
            return self.daemoned
        if result == "AnySucceeded":
            return any(child == "Succeeded" for child in self.children)
        if result == "AllFailed":
            return bool(self.children) and all(c in ("Failed", "Errored")
                                               for c in self.children)
        return self.phase == result


class DependsExpr(Protocol):
    def evaluate(self, outcomes: Mapping[str, Outcome | str]) -> bool: ...

    def referenced_tasks(self) -> list[str]: ...

    def __str__(self) -> str: ...


def _outcome(outcomes: Mapping[str, Outcome | str], task: str) -> Outcome:
    try:
        found = outcomes[task]
    except KeyError:
        raise ValueError(f"no outcome for task '{task}' to evaluate 'depends'") from None
    return Outcome(found) if isinstance(found, str) else found


@dataclass(frozen=True, slots=True)
class TaskResult:
    """`task.Result`; `result` None is a bare name: Succeeded, Skipped or Daemoned."""

    task: str
    result: str | None = None

    def evaluate(self, outcomes: Mapping[str, Outcome | str]) -> bool:
        outcome = _outcome(outcomes, self.task)
        return any(outcome.holds(r) for r in ((self.result,) if self.result else BARE_RESULTS))

    def referenced_tasks(self) -> list[str]:
        return [self.task]

    def __str__(self) -> str:
        return f"{self.task}.{self.result}" if self.result else self.task


@dataclass(frozen=True, slots=True)
class Not:
    operand: DependsExpr

    def evaluate(self, outcomes: Mapping[str, Outcome | str]) -> bool:
        return not self.operand.evaluate(outcomes)

    def referenced_tasks(self) -> list[str]:
        return self.operand.referenced_tasks()

    def __str__(self) -> str:
        return f"!{_wrap(self.operand)}"


@dataclass(frozen=True, slots=True)
class And:
    operands: tuple[DependsExpr, ...]

    def evaluate(self, outcomes: Mapping[str, Outcome | str]) -> bool:
        return all(o.evaluate(outcomes) for o in self.operands)

    def referenced_tasks(self) -> list[str]:
        return _unique(t for o in self.operands for t in o.referenced_tasks())

    def __str__(self) -> str:
        return " && ".join(_wrap(o) for o in self.operands)


@dataclass(frozen=True, slots=True)
class Or:
    operands: tuple[DependsExpr, ...]

    def evaluate(self, outcomes: Mapping[str, Outcome | str]) -> bool:
        return any(o.evaluate(outcomes) for o in self.operands)

    def referenced_tasks(self) -> list[str]:
        return _unique(t for o in self.operands for t in o.referenced_tasks())

    def __str__(self) -> str:
        return " || ".join(_wrap(o) for o in self.operands)


def _wrap(expr: DependsExpr) -> str:
    return f"({expr})" if isinstance(expr, And | Or) else str(expr)


def _unique(names: Iterator[str]) -> list[str]:
    return list(dict.fromkeys(names))


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[tuple[str, int]] = []  # (token, offset); names as "name[.result]"
        position = 0
        stripped = text.rstrip()
        while position < len(stripped):
            match = _TOKEN.match(stripped, position)
            if match is None:
                offset = len(stripped) - len(stripped[position:].lstrip())
                raise ExpressionSyntaxError(
                    f"unexpected '{stripped[offset]}' in depends expression", offset)
            start = match.start(1) if match.group(1) else match.start(2)
            if match.group(3) is not None:
                self._check_result(match.group(3), match.start(3))
            self.tokens.append((match.group(0).strip(), start))
            position = match.end()
        self.index = 0

    @staticmethod
    def _check_result(result: str, offset: int) -> None:
        if result in RESULTS:
            return
        if not result:
            raise ExpressionSyntaxError(
                f"a task result must follow the dot; use one of {', '.join(RESULTS)}", offset)
        close = difflib.get_close_matches(result, RESULTS, n=1, cutoff=0.5)
        hint = f"did you mean '{close[0]}'?" if close else f"use one of {', '.join(RESULTS)}"
        raise ExpressionSyntaxError(f"unknown task result '.{result}'; {hint}", offset)

    def peek(self) -> tuple[str, int] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> tuple[str, int]:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def parse(self) -> DependsExpr:
        if not self.tokens:
            raise ExpressionSyntaxError("the depends expression is empty", 0)
        expr = self.or_()
        token = self.peek()
        if token is not None:
            raise ExpressionSyntaxError(f"unexpected '{token[0]}' in depends expression",
                                        token[1])
        return expr

    def or_(self) -> DependsExpr:
        parts = [self.and_()]
        while (token := self.peek()) and token[0] == "||":
            self.take()
            parts.append(self.and_())
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def and_(self) -> DependsExpr:
        parts = [self.unary()]
        while (token := self.peek()) and token[0] == "&&":
            self.take()
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def unary(self) -> DependsExpr:
        token = self.peek()
        if token is None:
            raise ExpressionSyntaxError("the depends expression ends too early",
                                        len(self.text.rstrip()))
        text, offset = token
        if text == "!":
            self.take()
            return Not(self.unary())
        if text == "(":
            self.take()
            inner = self.or_()
            closing = self.peek()
            if closing is None or closing[0] != ")":
                raise ExpressionSyntaxError("a '(' is never closed in depends expression",
                                            offset)
            self.take()
            return inner
        if text in ("&&", "||", ")"):
            raise ExpressionSyntaxError(f"expected a task name before '{text}'", offset)
        self.take()
        task, _, result = text.partition(".")
        return TaskResult(task, result or None)


def parse_depends(text: str) -> DependsExpr:
    """Parse a `depends` expression.

    >>> expr = parse_depends("A && (B.Failed || !C)")
    >>> expr.referenced_tasks(), expr.evaluate({"A": "Succeeded", "B": "Failed", "C": "Failed"})
    (['A', 'B', 'C'], True)
    """
    return _Parser(text).parse()


def dependencies_expression(names: Seq[str],
                            continue_on: Mapping[str, object | None]) -> DependsExpr:
    """`dependencies: [A, B]` as an expression: each name is Succeeded, Skipped or Daemoned,
    or also Failed / Errored when that upstream task has continueOn failed / error."""
    parts: list[DependsExpr] = []
    for name in names:
        spec = continue_on.get(name)
        results = list(BARE_RESULTS)
        if getattr(spec, "failed", False):
            results.append("Failed")
        if getattr(spec, "error", False):
            results.append("Errored")
        if len(results) == len(BARE_RESULTS):
            parts.append(TaskResult(name))
        else:
            parts.append(Or(tuple(TaskResult(name, r) for r in results)))
    return parts[0] if len(parts) == 1 else And(tuple(parts))
