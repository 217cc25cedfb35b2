"""Each local step's own scratch filesystem: absolute paths a container would write (/tmp,
/mnt, /workspace, ...) are rewritten to a directory of the step's own, in its command, args,
env, script source and output paths, so parallel steps never see each other's files."""

from __future__ import annotations

import functools
import os
import re
import shutil
from collections.abc import Sequence
from pathlib import Path

# Container paths a step may write; anything else (/bin/sh, /usr/...) is the host's.
DEFAULT_PREFIXES = (
    "/tmp", "/var/tmp", "/mnt", "/workspace", "/data", "/output", "/outputs", "/input",
    "/inputs", "/artifacts", "/results", "/app", "/argo",
)


@functools.lru_cache(maxsize=16)
def _pattern(prefixes: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(p) for p in prefixes)
    # A prefix counts only at a path boundary: not inside a word or a longer path.
    return re.compile(rf"(?<![\w./-])({alternatives})(?=/|$|[^\w.-])")


class Scratch:
    """The scratch tree of one step attempt, and the path rewriting into it."""

    def __init__(self, root: Path, prefixes: Sequence[str] = DEFAULT_PREFIXES,
                 mounted: frozenset[str] = frozenset()) -> None:
        self.root = root
        self.prefixes = tuple(sorted(prefixes, key=len, reverse=True))
        self._pattern = _pattern(self.prefixes)
        # Prefixes bound over in a mount namespace (see `isolation`) keep their container
        # spelling in what the program sees; /tmp is always private there.
        self.mounted = mounted
        self.used: set[str] = {"/tmp"} & mounted
        self.made: set[str] = set()
        self.files: set[str] = set()  # files Legato wrote at the root (the script)

    def create(self) -> None:
        """Make the tree with the directories the step's paths use, as a container would
        find them; only those, since each directory costs system calls on the hot path (the
        root itself stands in for TMPDIR)."""
        try:
            os.mkdir(self.root)  # the run's folder exists after its first step
        except FileNotFoundError:
            self.root.mkdir(parents=True)
        except FileExistsError:  # left by an earlier process running the same attempt
            shutil.rmtree(self.root, ignore_errors=True)
            self.root.mkdir(parents=True)
        self.made = set()
        self.ensure()

    def ensure(self) -> None:
        """Make the directories of paths rewritten since `create` (substituted values)."""
        for prefix in self.used - self.made:
            where = f"{self.root}{prefix}"
            try:
                os.mkdir(where)  # a prefix is one level deep (/tmp, /mnt, ...)
            except FileExistsError:
                pass
            except FileNotFoundError:
                os.makedirs(where, exist_ok=True)
            self.made.add(prefix)

    def rewrite(self, text: str) -> str:
        """Container paths in a string moved under this step's root.

        >>> Scratch(Path("/s")).rewrite("echo hi > /tmp/out.txt; cat /usr/bin/x")
        'echo hi > /s/tmp/out.txt; cat /usr/bin/x'
        """
        if "/" not in text:
            return text
        root = str(self.root)

        def move(match: re.Match[str]) -> str:
            prefix = match.group(1)
            self.used.add(prefix)
            return prefix if prefix in self.mounted else root + prefix

        return self._pattern.sub(move, text)

    def mounts(self) -> list[tuple[str, str]]:
        """(scratch directory, container path) pairs to bind for this step."""
        return [(f"{self.root}{p}", p) for p in sorted(self.used & self.mounted)]

    def path(self, container_path: str) -> Path:
        """Where a container path lives on this machine (rewritten when it is a scratch
        path, relative paths taken from the working directory)."""
        root = str(self.root)
        rewritten = self._pattern.sub(lambda m: root + m.group(1), container_path)
        if os.path.isabs(rewritten):
            return Path(rewritten)
        return self.root / rewritten

    def remove(self) -> None:
        """Delete the tree: what Legato made is removed by name (no directory listing), and
        anything the step left behind by `rmtree`."""
        root = str(self.root)
        for name in self.files:
            try:
                os.unlink(f"{root}/{name}")
            except OSError:
                pass
        for prefix in self.made:
            where = f"{root}{prefix}"
            try:
                os.rmdir(where)  # mostly an empty /tmp
            except FileNotFoundError:
                pass
            except OSError:
                shutil.rmtree(where, ignore_errors=True)
        try:
            os.rmdir(root)
        except FileNotFoundError:
            pass
        except OSError:
            shutil.rmtree(root, ignore_errors=True)
