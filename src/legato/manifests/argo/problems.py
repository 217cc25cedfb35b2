"""Problems found in Argo manifests and where they are: `file:line:col: key.path: message; fix`.
Every layer (YAML, schema, semantics) reports through these so callers get all problems at once."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

from legato.errors import ManifestError

KeyPath = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Position:
    """A place in a source file; line and column count from 1."""

    file: str
    line: int = 1
    column: int = 1

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


NO_POSITION = Position("<unknown>", 1, 1)


def format_path(path: KeyPath) -> str:
    """`('spec', 'templates', 2, 'name')` → `spec.templates[2].name`."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


@dataclass(frozen=True, slots=True)
class ManifestProblem:
    """One problem: where it is, the key path, what is wrong and how to fix it."""

    position: Position
    path: str
    message: str
    fix: str
    layer: str = "semantics"  # "yaml", "schema" or "semantics"

    def __str__(self) -> str:
        head = f"{self.position}: {self.path}: " if self.path else f"{self.position}: "
        return f"{head}{self.message}; {self.fix}"

    def to_dict(self) -> dict[str, object]:
        """A JSON-friendly form for `legato validate --json`."""
        return {
            "file": self.position.file,
            "line": self.position.line,
            "column": self.position.column,
            "path": self.path,
            "message": self.message,
            "fix": self.fix,
            "layer": self.layer,
        }


def sort_problems(problems: Iterable[ManifestProblem]) -> list[ManifestProblem]:
    """Problems in file order, duplicates dropped."""
    unique = dict.fromkeys(problems)
    return sorted(
        unique,
        key=lambda p: (p.position.file, p.position.line, p.position.column, p.path, p.message),
    )


def raise_for(problems: Iterable[ManifestProblem]) -> None:
    """Raise one ManifestError listing every problem, if there are any."""
    ordered = sort_problems(problems)
    if not ordered:
        return
    lines = [str(p) for p in ordered]
    head = lines[0] if len(lines) == 1 else f"{len(lines)} problems in the manifests:\n" + "\n".join(
        lines
    )
    raise ManifestError(head, problems=lines)


def did_you_mean(name: str, choices: Iterable[str], otherwise: str) -> str:
    """A "did you mean" fix when a close name exists, else `otherwise`."""
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else otherwise
