"""The `legato.yaml` project file: a list of deployments, each an entrypoint, a name and the
options of `legato deploy`. Read here (YAML stays in legato.manifests); deployed by the CLI."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]  # PyYAML ships no stubs; none are installed

from legato.core.triggers import parse_trigger
from legato.errors import ManifestError, ParameterError

_KEYS = {
    "entrypoint", "name", "cron", "interval", "rrule", "timezone", "parameters", "work_queue",
    "tags", "paused", "description", "crash_retries", "priority", "max_active_runs",
    "run_timeout_seconds", "triggers",
}
MAX_PROJECT_BYTES = 1024 * 1024


@dataclass(frozen=True)
class ProjectDeployment:
    """One deployment of a project file; `entrypoint` is resolved against the file's folder,
    `where` is its file:line:col."""

    entrypoint: str
    name: str
    where: str
    cron: str | None = None
    interval: int | None = None
    rrule: str | None = None
    timezone: str = "UTC"
    parameters: dict[str, Any] = field(default_factory=dict)
    work_queue: str = "default"
    tags: tuple[str, ...] = ()
    paused: bool = False
    description: str | None = None
    crash_retries: int = 0
    priority: int = 0
    max_active_runs: int | None = None
    run_timeout_seconds: float | None = None
    # Dict forms of core.triggers; None (no `triggers:` key) leaves a deployment's triggers be.
    triggers: tuple[dict[str, Any], ...] | None = None


def _mark(path: Path, node: yaml.Node) -> str:
    return f"{path}:{node.start_mark.line + 1}:{node.start_mark.column + 1}"


def read_project(path: str | Path) -> list[ProjectDeployment]:
    """The deployments listed in a project file.

    >>> [d.name for d in read_project("legato.yaml")]
    ['nightly', 'hourly']
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as error:
        raise ManifestError(
            f"{file}:1:1: cannot read the project file ({error.strerror}); check the path."
        ) from None
    if len(text) > MAX_PROJECT_BYTES:
        raise ManifestError(f"{file}:1:1: the project file is over 1 MiB; split it.")
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{file}:{mark.line + 1}:{mark.column + 1}" if mark else f"{file}:1:1"
        problem = getattr(error, "problem", None) or "invalid YAML"
        raise ManifestError(f"{where}: {problem}; fix the YAML syntax.") from None
    if not isinstance(data, Mapping) or not isinstance(data.get("deployments"), list):
        raise ManifestError(
            f"{file}:1:1: a project file needs a top-level 'deployments:' list; add one entry "
            "per deployment with at least 'entrypoint' and 'name'."
        )
    assert isinstance(root, yaml.MappingNode)
    items = next(value for key, value in root.value if key.value == "deployments")
    return [
        _deployment(file, entry, _mark(file, node))
        for entry, node in zip(data["deployments"], items.value, strict=True)
    ]


def _deployment(file: Path, entry: Any, where: str) -> ProjectDeployment:
    if not isinstance(entry, Mapping):
        raise ManifestError(f"{where}: a deployment must be a mapping with entrypoint and name.")
    unknown = sorted(set(map(str, entry)) - _KEYS)
    if unknown:
        raise ManifestError(
            f"{where}: unknown keys {unknown}; use {', '.join(sorted(_KEYS))}."
        )
    for key in ("entrypoint", "name"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise ManifestError(f"{where}: the deployment needs a non-empty '{key}' string.")
    _expect(entry, where, "parameters", dict)
    _expect(entry, where, "tags", list)
    _expect(entry, where, "paused", bool)
    _expect(entry, where, "interval", int)
    _expect(entry, where, "crash_retries", int)
    _expect(entry, where, "priority", int)
    _expect(entry, where, "max_active_runs", int)
    if type(entry.get("run_timeout_seconds")) is int:  # YAML 30 means 30.0 (not True)
        entry = {**entry, "run_timeout_seconds": float(entry["run_timeout_seconds"])}
    _expect(entry, where, "run_timeout_seconds", float)
    _expect(entry, where, "triggers", list)
    triggers = None
    if entry.get("triggers") is not None:
        try:
            triggers = tuple(parse_trigger(t, f"triggers.{i}").to_dict()
                             for i, t in enumerate(entry["triggers"]))
        except ParameterError as error:
            raise ManifestError(f"{where}: {error}") from None
    for key in ("cron", "rrule", "timezone", "work_queue", "description"):
        _expect(entry, where, key, str)
    target, _, flow_name = str(entry["entrypoint"]).rpartition(":")
    if target.endswith(".py") and not Path(target).is_absolute():
        target = str((file.parent / target).resolve())
    values = {k: v for k, v in entry.items()
              if k not in ("entrypoint", "name", "tags", "triggers")}
    return ProjectDeployment(
        entrypoint=f"{target}:{flow_name}" if target else flow_name,
        name=entry["name"],
        where=where,
        tags=tuple(str(tag) for tag in entry.get("tags") or ()),
        triggers=triggers,
        **values,
    )


def _expect(entry: Mapping[str, Any], where: str, key: str, kind: type) -> None:
    value = entry.get(key)
    if value is not None and (not isinstance(value, kind) or
                              (kind is int and isinstance(value, bool))):
        raise ManifestError(
            f"{where}: '{key}' should be a {kind.__name__}, not {type(value).__name__}; fix it."
        )
