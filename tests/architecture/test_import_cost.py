"""`import legato` stays light and has no side effects: heavy libraries are imported only by
the code paths that need them (store, server, CLI, integrations)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HEAVY = (
    "sqlalchemy",
    "fastapi",
    "dask",
    "distributed",
    "yaml",
    "ruamel",
    "alembic",
    "pydantic",
    "click",
    "rich",
)

PROBE = """
import json, sys
import legato
print(json.dumps(sorted({name.partition(".")[0] for name in sys.modules})))
"""


def imported_after_import_legato(home: Path) -> set[str]:
    env = {**os.environ, "LEGATO_HOME": str(home)}
    completed = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, check=True
    )
    names: list[str] = json.loads(completed.stdout.strip().splitlines()[-1])
    return set(names)


def test_import_legato_does_not_load_heavy_libraries(tmp_path: Path) -> None:
    loaded = imported_after_import_legato(tmp_path)
    assert "legato" in loaded
    assert not loaded & set(HEAVY), f"import legato loaded {sorted(loaded & set(HEAVY))}"


def test_import_legato_writes_nothing_to_legato_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    imported_after_import_legato(home)
    assert not home.exists()
