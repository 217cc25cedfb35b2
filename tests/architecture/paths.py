"""Paths the architecture tests inspect."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SRC = REPO / "src" / "legato"
# The console scripts of the environment running the tests (the project's .venv under make).
BIN = Path(sys.executable).parent
