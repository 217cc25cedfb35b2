"""Optional mount-namespace isolation of YAML steps (LEGATO_SCRATCH_ISOLATION=namespace): the
step runs under `unshare --user --map-root-user --mount` with its scratch directories bound
over the container paths that exist on this machine (/tmp, /mnt, ...), so even paths computed at
run time stay private. Paths that do not exist here are still rewritten (see `scratch`)."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from collections.abc import Iterable, Sequence

from legato.errors import ConfigError

ENV_VAR = "LEGATO_SCRATCH_ISOLATION"
MODES = ("rewrite", "namespace")
# A constant script: the mount pairs and the program arrive as arguments, never as text.
MOUNT_SCRIPT = (
    'n=$1; shift; while [ "$n" -gt 0 ]; do mount --bind "$1" "$2" || exit 125; shift 2; '
    'n=$((n-1)); done; exec "$@"'
)


def isolation_mode(value: str | None) -> str:
    mode = (value or "rewrite").strip().lower()
    if mode not in MODES:
        raise ConfigError(f"{ENV_VAR}={value!r} is not a mode; use rewrite or namespace.")
    return mode


@functools.lru_cache(maxsize=1)
def namespaces_available() -> bool:
    """Whether unprivileged user+mount namespaces work here (asked once per process)."""
    unshare, mount = shutil.which("unshare"), shutil.which("mount")
    if unshare is None or mount is None:
        return False
    try:
        done = subprocess.run([unshare, "--user", "--map-root-user", "--mount", "true"],
                              capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def mountable(prefixes: Iterable[str], scratch_base: str) -> frozenset[str]:
    """Container paths that can be bound over: existing directories that do not hold the
    scratch trees themselves (binding over those would hide the step's own files)."""
    base = os.path.realpath(scratch_base)
    found = set()
    for prefix in prefixes:
        if os.path.isdir(prefix) and not (base + "/").startswith(
                os.path.realpath(prefix).rstrip("/") + "/"):
            found.add(prefix)
    return frozenset(found)


def wrap(argv: Sequence[str], mounts: Sequence[tuple[str, str]]) -> list[str]:
    """The argv that binds each (source, target) pair in a new namespace, then runs argv."""
    unshare = shutil.which("unshare") or "unshare"
    pairs = [part for pair in mounts for part in pair]
    return [unshare, "--user", "--map-root-user", "--mount", "--", "/bin/sh", "-c",
            MOUNT_SCRIPT, "legato-step", str(len(mounts)), *pairs, *argv]
