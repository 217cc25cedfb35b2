"""Mount-namespace isolation of YAML steps (LEGATO_SCRATCH_ISOLATION): each step runs in a mount
namespace of its own, started by the process's step spawner (`spawner`; else under `unshare --user
--map-root-user --mount`), with its scratch directories bound over the container paths that exist
here (/tmp, /mnt, ...), so even paths computed at run time stay private."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Sequence

from legato.errors import ConfigError
from legato.workflows.scratch import DEFAULT_PREFIXES

ENV_VAR = "LEGATO_SCRATCH_ISOLATION"
MODES = ("auto", "rewrite", "namespace")
# A constant script: the mount pairs and the program arrive as arguments, never as text.
# (Entering the namespace from Python between fork and exec was measured slower: it needs
# fork() of this large process with the GIL held instead of vfork, which stalls every step.)
MOUNT_SCRIPT = (
    'n=$1; shift; while [ "$n" -gt 0 ]; do mount --bind "$1" "$2" || exit 125; shift 2; '
    'n=$((n-1)); done; exec "$@"'
)


def isolation_mode(value: str | None) -> str:
    """`auto` (the default: namespaces where the probe finds they work, else rewriting, with
    the reason logged), `rewrite` (rewriting only) or `namespace` (as auto, but warning when
    namespaces are unavailable). Through the process's step spawner a namespaced step costs
    about what a plain spawn does (ADR 0028)."""
    mode = (value or "auto").strip().lower()
    if mode not in MODES:
        raise ConfigError(f"{ENV_VAR}={value!r} is not a mode; use auto, rewrite or namespace.")
    return mode


@functools.lru_cache(maxsize=1)
def probe() -> str | None:
    """Why namespaces cannot be used here, or None when they work: one real start of `true`
    in a new user+mount namespace (a few milliseconds), asked once per process."""
    unshare, mount = shutil.which("unshare"), shutil.which("mount")
    if unshare is None or mount is None:
        return "the unshare and mount programs (util-linux) are not installed"
    try:
        done = subprocess.run([unshare, "--user", "--map-root-user", "--mount", "true"],
                              capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unshare could not run ({exc})"
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        return "unprivileged user namespaces are not allowed here" + (
            f" ({detail[-1]})" if detail else "")
    return hidden_python(DEFAULT_PREFIXES)


def hidden_python(prefixes: Iterable[str]) -> str | None:
    """Why binding scratch over `prefixes` would hide this Python from python-image steps
    (an installation under /tmp, say), or None when it stays visible."""
    home = os.path.realpath(sys.prefix).rstrip("/") + "/"
    for prefix in prefixes:
        if os.path.isdir(prefix) and home.startswith(os.path.realpath(prefix).rstrip("/") + "/"):
            return (f"this Python ({sys.prefix}) lies under {prefix}, which each step's own "
                    f"scratch would hide; install it elsewhere to isolate steps by namespace")
    return None


def namespaces_available() -> bool:
    """Whether unprivileged user+mount namespaces work here (asked once per process)."""
    return probe() is None


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
