"""Runs the installed `legato` executable as a user would, with its own LEGATO_HOME."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
LEGATO = Path(sys.executable).parent / "legato"


@dataclass
class Legato:
    """The `legato` command bound to one LEGATO_HOME (and optionally a database URL)."""

    home: Path
    database_url: str | None = None

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LEGATO_")}
        env["LEGATO_HOME"] = str(self.home)
        if self.database_url:
            env["LEGATO_DATABASE_URL"] = self.database_url
        return env

    def __call__(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(LEGATO), *args],
            capture_output=True,
            text=True,
            env=self.env(),
            cwd=self.home.parent,
            timeout=180,
            check=False,
        )

    def json(self, *args: str, status: int = 0) -> Any:
        completed = self(*args, "--json")
        assert completed.returncode == status, describe(completed)
        return orjson.loads(completed.stdout)


def describe(completed: subprocess.CompletedProcess[str]) -> str:
    return (
        f"{' '.join(map(str, completed.args))} exited {completed.returncode}\n"
        f"--- stdout\n{completed.stdout}\n--- stderr\n{completed.stderr}"
    )


def example(name: str, flow: str) -> str:
    return f"{EXAMPLES / name}:{flow}"
