"""The import-linter contracts in pyproject.toml (layers of DESIGN.md, which package may import
which third-party library) hold for the source tree."""

from __future__ import annotations

import ast
import subprocess
import sys

from .paths import BIN, REPO, SRC


def test_import_linter_contracts_are_kept() -> None:
    completed = subprocess.run(
        [str(BIN / "lint-imports"), "--no-cache"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "0 broken" in completed.stdout


def _imported_top_level_names(source: str) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.partition(".")[0])
    return names


def test_core_imports_only_the_standard_library_and_legato() -> None:
    allowed = set(sys.stdlib_module_names) | {"legato", "__future__"}
    offenders = {
        str(path.relative_to(SRC)): sorted(_imported_top_level_names(path.read_text()) - allowed)
        for path in sorted((SRC / "core").rglob("*.py"))
    }
    offenders = {path: names for path, names in offenders.items() if names}
    assert not offenders, f"legato.core must stay pure (standard library only): {offenders}"


def test_import_scanner_sees_third_party_imports() -> None:
    names = _imported_top_level_names("import sqlalchemy.orm\nfrom pydantic import BaseModel\n")
    assert names == {"sqlalchemy", "pydantic"}
