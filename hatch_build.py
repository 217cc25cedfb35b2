"""Hatch build hook: builds the web UI (ui/, React + Vite) into src/legato/server/static before
a wheel is made, so `pip wheel .` and `pip install .` ship the UI; editable installs leave it
to `make ui`. The built files are gitignored, hence listed as wheel artifacts in pyproject."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class UiBuildHook(BuildHookInterface):  # type: ignore[misc]
    PLUGIN_NAME = "legato-ui"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        root = Path(self.root)
        ui = root / "ui"
        built = root / "src" / "legato" / "server" / "static" / "index.html"
        if not (ui / "package.json").is_file():
            if built.is_file():
                return  # an sdist without the UI sources but with a built UI
            raise RuntimeError("cannot build the web UI: ui/package.json is missing")
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("building the Legato wheel needs Node.js 20+ and npm on PATH (for ui/)")
        stamp = ui / "node_modules" / ".ci-stamp"
        lock = ui / "package-lock.json"
        if not stamp.is_file() or stamp.stat().st_mtime < lock.stat().st_mtime:
            subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=ui, check=True)
            stamp.touch()
        subprocess.run([npm, "run", "--silent", "build"], cwd=ui, check=True)
