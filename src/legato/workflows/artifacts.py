"""Artifacts of YAML steps in Legato's result store (a local directory, or S3 and others
through fsspec): output artifacts are copied from a step's scratch tree under
`artifacts/<run>/<node>/<name>`, input artifacts (`from`, `raw`, `s3.key`) into the next
step's tree. A reference is the stored location's URL."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from legato.errors import ManifestError
from legato.manifests.argo.model import Artifact, Template
from legato.manifests.argo.templating import substitute
from legato.workflows.scratch import Scratch


def _url_to_fs(url: str) -> tuple[Any, str]:
    import fsspec  # deferred: only steps with artifacts pay for it

    fs, path = fsspec.core.url_to_fs(url)
    return fs, path


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.()\-]+", "_", name)[:120] or "_"


class ArtifactStore:
    """Where one workflow run keeps its artifacts."""

    def __init__(self, root_url: str, run_id: str) -> None:
        self.root_url = root_url.rstrip("/")
        self.run_id = run_id

    def _location(self, key: str) -> str:
        return f"{self.root_url}/{key.lstrip('/')}"

    def put(self, source: Path, key: str) -> str:
        """Copy a file or directory into the store; return its reference."""
        url = self._location(key)
        fs, path = _url_to_fs(url)
        if source.is_dir():
            fs.makedirs(path, exist_ok=True)
            fs.put(str(source), path, recursive=True)
        else:
            parent = path.rsplit("/", 1)[0]
            fs.makedirs(parent, exist_ok=True)
            fs.put(str(source), path)
        return url

    def get(self, url: str, target: Path, where: str) -> None:
        fs, path = _url_to_fs(url)
        if not fs.exists(path):
            raise ManifestError(f"{where}: artifact {url} does not exist; check the step that "
                                "should have produced it.")
        target.parent.mkdir(parents=True, exist_ok=True)
        if fs.isdir(path):
            fs.get(path.rstrip("/") + "/", str(target), recursive=True)
        else:
            fs.get(path, str(target))

    # -- steps ----------------------------------------------------------------------------
    def stage_inputs(self, template: Template, scope: Mapping[str, Any], scratch: Scratch,
                     where: str) -> None:
        """Put a step's input artifacts where its program expects them."""
        for artifact in template.inputs.artifacts:
            if not artifact.path:
                continue
            target = scratch.path(substitute(artifact.path, scope, where))
            if artifact.raw_data is not None:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(substitute(artifact.raw_data, scope, where), encoding="utf-8")
                continue
            url = self.input_url(artifact, scope, where)
            if url is None:
                if artifact.optional:
                    continue
                raise ManifestError(
                    f"{where}: input artifact {artifact.name!r} has no source; pass it with "
                    "arguments.artifacts (from: ...) or give it raw data or an s3 key.")
            self.get(url, target, where)

    def input_url(self, artifact: Artifact, scope: Mapping[str, Any], where: str) -> str | None:
        supplied = scope.get(f"inputs.artifacts.{artifact.name}")
        if isinstance(supplied, str) and supplied:
            return supplied
        if artifact.from_:
            return substitute(artifact.from_, scope, where)
        if artifact.s3_key:
            return self._location(substitute(artifact.s3_key, scope, where))
        return None

    def collect_outputs(self, template: Template, scope: Mapping[str, Any], scratch: Scratch,
                        node: str, where: str) -> dict[str, str]:
        """Store a finished step's output artifacts; return their references by name."""
        refs: dict[str, str] = {}
        for artifact in template.outputs.artifacts:
            if not artifact.path:
                continue
            source = scratch.path(substitute(artifact.path, scope, where))
            if not source.exists():
                if artifact.optional:
                    continue
                raise ManifestError(
                    f"{where}: output artifact {artifact.name!r} reads {artifact.path}, which "
                    "the step did not write; write it or mark the artifact optional: true.")
            key = (substitute(artifact.s3_key, scope, where) if artifact.s3_key else
                   f"artifacts/{self.run_id}/{_safe(node)}/{_safe(artifact.name)}")
            refs[artifact.name] = self.put(source, key)
        return refs


def read_text(url: str, limit: int = 1024 * 1024) -> str:
    """The start of a stored artifact as text (for people and tests)."""
    fs, path = _url_to_fs(url)
    with fs.open(path, "rb") as fh:
        data: bytes = fh.read(limit)
    return data.decode("utf-8", errors="replace")


def is_local(url: str) -> bool:
    return url.startswith("/") or url.startswith("file://") or os.path.isabs(url)
