"""The image→command map: which local programs stand in for a container image when a YAML
step runs as a subprocess. A python image runs this Python, busybox/alpine run busybox (or
/bin/sh), debian/ubuntu/bash run bash, node runs node; LEGATO_IMAGE_MAP adds or overrides."""

from __future__ import annotations

import fnmatch
import functools
import os
import shutil
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from legato.errors import ConfigError

ENV_VAR = "LEGATO_IMAGE_MAP"
# Toolboxes: what a command's first word becomes for images of that kind.
TOOLBOXES = ("python", "sh", "bash", "node")
DEFAULT_MAP: tuple[tuple[str, str], ...] = (
    ("python", "python"), ("python:*", "python"), ("*/python", "python"),
    ("*/python:*", "python"), ("pypy*", "python"), ("*/pypy*", "python"),
    ("busybox", "sh"), ("busybox:*", "sh"), ("alpine", "sh"), ("alpine:*", "sh"),
    ("*/busybox", "sh"), ("*/busybox:*", "sh"), ("*/alpine", "sh"), ("*/alpine:*", "sh"),
    ("debian", "bash"), ("debian:*", "bash"), ("ubuntu", "bash"), ("ubuntu:*", "bash"),
    ("bash", "bash"), ("bash:*", "bash"), ("*/debian", "bash"), ("*/debian:*", "bash"),
    ("*/ubuntu", "bash"), ("*/ubuntu:*", "bash"),
    ("node", "node"), ("node:*", "node"), ("*/node", "node"), ("*/node:*", "node"),
)
_SHELLS = ("sh", "ash", "bash", "dash")
_PYTHONS = ("python", "python3", "python2")


@dataclass(frozen=True)
class Toolbox:
    """How one kind of image runs locally: `resolve` turns a command's first word into argv."""

    kind: str  # python, sh, bash, node, or "program" (a path given in the map)
    program: str | None = None

    def default_command(self) -> list[str]:
        """What the image runs when a step gives no command (its entrypoint)."""
        if self.kind == "program" and self.program:
            return [self.program]
        return [self.kind]

    def resolve(self, argv: Sequence[str], image: str) -> list[str]:
        """The local argv for `argv` written against `image`."""
        head, rest = argv[0], list(argv[1:])
        base = os.path.basename(head)
        if self.kind == "program" and self.program and base in (
                os.path.basename(self.program), self.program):
            return [self.program, *rest]
        if self.kind == "python" and (base in _PYTHONS or base.startswith("python3.")):
            return [sys.executable, *rest]
        if self.kind == "sh" and base in _SHELLS:
            busybox = _lookup("busybox")
            return [busybox, "sh", *rest] if busybox else ["/bin/sh", *rest]
        if self.kind == "bash" and base in _SHELLS:
            return [_which("bash", image), *rest]
        if self.kind == "node" and base in ("node", "nodejs"):
            return [_which("node", image), *rest]
        if self.kind == "sh" and "/" not in head:
            busybox = _lookup("busybox")
            if busybox:  # in a busybox image, `echo`, `cat`, ... are busybox applets
                return [busybox, head, *rest]
        return [_which(head, image), *rest]


@functools.lru_cache(maxsize=256)
def _lookup(program: str) -> str | None:
    # PATH lookups stat every directory; a run asks for the same few programs many times.
    return shutil.which(program)


def _which(program: str, image: str) -> str:
    found = _lookup(program)
    if found is None:
        raise ConfigError(
            f"image {image!r} runs {program!r}, which is not installed here; install it or map "
            f"the image to a program with {ENV_VAR}='{image}=/path/to/program'.")
    return found


def parse_image_map(text: str) -> tuple[tuple[str, str], ...]:
    """`LEGATO_IMAGE_MAP` as (pattern, target) pairs: `pattern=target` separated by ';' or
    ',', a pattern being an image name with * wildcards and a target one of python, sh,
    bash, node or a program path.

    >>> parse_image_map("myorg/tool:*=bash; ghcr.io/x/py=python")
    (('myorg/tool:*', 'bash'), ('ghcr.io/x/py', 'python'))
    """
    pairs: list[tuple[str, str]] = []
    for chunk in text.replace(",", ";").split(";"):
        if not chunk.strip():
            continue
        pattern, sep, target = chunk.partition("=")
        pattern, target = pattern.strip(), target.strip()
        if not sep or not pattern or not target:
            raise ConfigError(
                f"{ENV_VAR} entry {chunk.strip()!r} is not pattern=target; write e.g. "
                f"{ENV_VAR}='myorg/tool:*=bash'.")
        if target not in TOOLBOXES and not os.path.isabs(target):
            raise ConfigError(
                f"{ENV_VAR} maps {pattern!r} to {target!r}; use one of "
                f"{', '.join(TOOLBOXES)} or an absolute program path.")
        pairs.append((pattern, target))
    return tuple(pairs)


class ImageMap:
    """Image names to toolboxes; the user's entries are tried before the defaults."""

    def __init__(self, extra: Sequence[tuple[str, str]] = ()) -> None:
        self.entries: tuple[tuple[str, str], ...] = (*extra, *DEFAULT_MAP)
        self._known: dict[str, Toolbox] = {}

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ImageMap:
        env = os.environ if env is None else env
        return cls(parse_image_map(env.get(ENV_VAR, "")))

    def toolbox(self, image: str | None, where: str) -> Toolbox:
        """The toolbox for an image, or ConfigError naming the image and the setting."""
        if not image:
            raise ConfigError(f"{where}: the step names no image; set `image:` (e.g. "
                              "python:3.12 or alpine).")
        known = self._known.get(image)
        if known is not None:
            return known
        found = self._match(image)
        if found is not None:
            self._known[image] = found
            return found
        name = image.split("@", 1)[0].removeprefix("docker.io/").removeprefix("library/")
        repo = name.split(":", 1)[0]
        raise ConfigError(
            f"{where}: image {image!r} has no local command; map it with "
            f"{ENV_VAR}='{repo}:*=bash' (or python, sh, node, or a program path).")

    def _match(self, image: str) -> Toolbox | None:
        name = image.split("@", 1)[0]
        if name.startswith("docker.io/"):
            name = name[len("docker.io/"):]
        if name.startswith("library/"):
            name = name[len("library/"):]
        for pattern, target in self.entries:
            if fnmatch.fnmatchcase(name, pattern) or fnmatch.fnmatchcase(image, pattern):
                if target in TOOLBOXES:
                    return Toolbox(target)
                return Toolbox("program", target)
        return None
