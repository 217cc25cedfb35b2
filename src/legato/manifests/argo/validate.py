"""The front door for Argo manifests: load files, check them layer by layer (YAML, schema,
semantics) collecting every problem, and hand back the typed model. `legato validate`, `legato
run FILE.yaml` and deploying YAML all come through here."""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .build import build_manifest
from .loader import Document, load_file, load_text
from .model import Manifest
from .problems import ManifestProblem, Position, raise_for, sort_problems
from .resolve import ChainResolver, LocalTemplateResolver, TemplateResolver
from .schema import check_schema
from .semantics import check_semantics


@dataclass(frozen=True)
class Validation:
    """The manifests that could be built and every problem found (empty when all is well)."""

    manifests: list[Manifest] = field(default_factory=list)
    problems: list[ManifestProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Loading and checking make hundreds of thousands of small acyclic objects at once; the
    cyclic garbage collector would rescan them again and again (half the time of a large
    manifest) and find nothing to free."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def validate_documents(documents: Iterable[Document], resolver: TemplateResolver | None = None,
                       search_dirs: Iterable[str | Path] = (),
                       skip_files: Iterable[str | Path] = ()) -> Validation:
    """Check loaded documents and build their model. Templates named by templateRef are looked
    up among the documents, then through `resolver`, then in YAML files in `search_dirs`."""
    built: list[tuple[Manifest, Document]] = []
    problems: list[ManifestProblem] = []
    for document in documents:
        problems.extend(check_schema(document))
        manifest = build_manifest(document)
        if manifest is not None:
            built.append((manifest, document))
    local = LocalTemplateResolver([m for m, _ in built])
    nearby = LocalTemplateResolver(search_dirs=search_dirs)
    nearby.skip_files(skip_files)
    chain = ChainResolver(local, *([resolver] if resolver else []), nearby)
    for manifest, document in built:
        problems.extend(check_semantics(manifest, document, chain))
    return Validation([m for m, _ in built], sort_problems(problems))


def validate_files(paths: Iterable[str | Path],
                   resolver: TemplateResolver | None = None) -> Validation:
    """Load and check every file (a folder means its YAML files); problems of all files are
    collected. Templates missing from the files are looked for in the other YAML files of
    their folders."""
    with _collector_paused():
        return _validate_files(_expand(paths), resolver)


def _expand(paths: Iterable[str | Path]) -> list[str | Path]:
    """Files as given; a folder stands for its *.yaml and *.yml files, sorted."""
    files: list[str | Path] = []
    for path in paths:
        if Path(path).is_dir():
            found = sorted(p for p in Path(path).iterdir()
                           if p.suffix in (".yaml", ".yml") and p.is_file())
            files.extend(found or [path])
        else:
            files.append(path)
    return files


def _validate_files(files: list[str | Path], resolver: TemplateResolver | None) -> Validation:
    documents: list[Document] = []
    problems: list[ManifestProblem] = []
    for path in files:
        docs, found = load_file(path)
        documents.extend(docs)
        problems.extend(found)
        if not docs and not found:
            problems.append(ManifestProblem(Position(str(path)), "", "the file holds no manifest",
                                            "write an Argo Workflow in it", "yaml"))
    folders = dict.fromkeys(Path(f).resolve().parent for f in files)
    checked = validate_documents(documents, resolver, folders, files)
    return Validation(checked.manifests, sort_problems([*problems, *checked.problems]))


def validate_text(text: str, file: str = "<text>",
                  resolver: TemplateResolver | None = None) -> Validation:
    """`validate_files` for YAML held in memory (a request body, a test)."""
    with _collector_paused():
        documents, problems = load_text(text, file)
        checked = validate_documents(documents, resolver)
    return Validation(checked.manifests, sort_problems([*problems, *checked.problems]))


def validate(paths: Iterable[str | Path],
             resolver: TemplateResolver | None = None) -> list[ManifestProblem]:
    """Every problem in the given manifest files, in file order.

    >>> for problem in validate(["flow.yaml"]): print(problem)
    flow.yaml:9:19: spec.templates[0].steps[0][0].template: step 'hello' names unknown ...
    """
    return validate_files(paths, resolver).problems


def load_manifests(paths: Iterable[str | Path],
                   resolver: TemplateResolver | None = None) -> list[Manifest]:
    """The manifests in the files, or ManifestError listing every problem.

    >>> [m.name for m in load_manifests(["hello.yaml"])]
    ['hello-world']
    """
    checked = validate_files(paths, resolver)
    raise_for(checked.problems)
    return checked.manifests
