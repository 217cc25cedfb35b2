"""The front door for Argo manifests: load files, check them layer by layer (YAML, schema,
semantics) collecting every problem, and hand back the typed model. `legato validate`, `legato
run FILE.yaml` and deploying YAML all come through here."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .build import build_manifest
from .loader import Document, load_file, load_text
from .model import MANIFEST_KINDS, Manifest
from .problems import ManifestProblem, Position, format_path, raise_for, sort_problems

API_VERSION = "argoproj.io/v1alpha1"


@dataclass(frozen=True)
class Validation:
    """The manifests that could be built and every problem found (empty when all is well)."""

    manifests: list[Manifest] = field(default_factory=list)
    problems: list[ManifestProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _kind_problems(document: Document) -> list[ManifestProblem]:
    data = document.data
    if not isinstance(data, dict):
        return [ManifestProblem(document.at(()), "", "the document is not a mapping",
                                "write an Argo manifest with apiVersion, kind, metadata and spec",
                                "schema")]
    problems = []
    kind = data.get("kind")
    if kind not in MANIFEST_KINDS:
        close = difflib.get_close_matches(str(kind), list(MANIFEST_KINDS), n=1)
        fix = (f"did you mean '{close[0]}'?" if close else
               f"use one of {', '.join(MANIFEST_KINDS)}")
        where = document.source.value(("kind",)) if "kind" in data else document.at(())
        problems.append(ManifestProblem(where, "kind", f"unsupported kind {kind!r}", fix,
                                        "schema"))
    if data.get("apiVersion") != API_VERSION:
        where = document.source.value(("apiVersion",)) if "apiVersion" in data else \
            document.at(())
        problems.append(ManifestProblem(
            where, format_path(("apiVersion",)),
            f"apiVersion is {data.get('apiVersion')!r}", f"set it to '{API_VERSION}'", "schema"))
    return problems


def validate_documents(documents: Iterable[Document]) -> Validation:
    """Check loaded documents and build their model."""
    manifests: list[Manifest] = []
    problems: list[ManifestProblem] = []
    for document in documents:
        found = _kind_problems(document)
        problems.extend(found)
        manifest = build_manifest(document)
        if manifest is not None:
            manifests.append(manifest)
    return Validation(manifests, sort_problems(problems))


def validate_files(paths: Iterable[str | Path]) -> Validation:
    """Load and check every file; problems of all files are collected."""
    documents: list[Document] = []
    problems: list[ManifestProblem] = []
    for path in paths:
        docs, found = load_file(path)
        documents.extend(docs)
        problems.extend(found)
        if not docs and not found:
            problems.append(ManifestProblem(Position(str(path)), "", "the file holds no manifest",
                                            "write an Argo Workflow in it", "yaml"))
    checked = validate_documents(documents)
    return Validation(checked.manifests, sort_problems([*problems, *checked.problems]))


def validate_text(text: str, file: str = "<text>") -> Validation:
    """`validate_files` for YAML held in memory (a request body, a test)."""
    documents, problems = load_text(text, file)
    checked = validate_documents(documents)
    return Validation(checked.manifests, sort_problems([*problems, *checked.problems]))


def validate(paths: Iterable[str | Path]) -> list[ManifestProblem]:
    """Every problem in the given manifest files, in file order.

    >>> for problem in validate(["flow.yaml"]): print(problem)
    flow.yaml:9:19: spec.templates[0].steps[0][0].template: unknown template 'prnt'; ...
    """
    return validate_files(paths).problems


def load_manifests(paths: Iterable[str | Path]) -> list[Manifest]:
    """The manifests in the files, or ManifestError listing every problem."""
    checked = validate_files(paths)
    raise_for(checked.problems)
    return checked.manifests
