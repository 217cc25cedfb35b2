"""Finding the WorkflowTemplates and ClusterWorkflowTemplates that `templateRef` and
`workflowTemplateRef` name. `TemplateResolver` is the interface; `LocalTemplateResolver` reads
templates given on the command line and, when a name is still missing, the YAML files next to
the workflow. A resolver backed by the server's registered templates plugs in the same way."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

from .build import build_manifest
from .loader import load_file
from .model import ClusterWorkflowTemplate, Manifest, WorkflowTemplate

MAX_NEIGHBOURS = 200
NEIGHBOUR_MAX_BYTES = 1024 * 1024


class TemplateResolver(Protocol):
    """Looks up a (Cluster)WorkflowTemplate by name."""

    def find(self, name: str, cluster_scope: bool) -> Manifest | None:
        """The template manifest, or None when there is no such template."""
        ...

    def names(self, cluster_scope: bool) -> list[str]:
        """Every known template name, for "did you mean" hints."""
        ...


def _kind_of(cluster_scope: bool) -> type[Manifest]:
    return ClusterWorkflowTemplate if cluster_scope else WorkflowTemplate


class LocalTemplateResolver:
    """Templates from manifests already loaded, then from YAML files in `search_dirs`
    (read on the first miss, at most MAX_NEIGHBOURS files of at most 1 MiB each)."""

    def __init__(self, manifests: Iterable[Manifest] = (),
                 search_dirs: Iterable[str | Path] = ()) -> None:
        self._templates: dict[tuple[type[Manifest], str], Manifest] = {}
        self._add(manifests)
        self._dirs = [Path(d) for d in search_dirs]
        self._searched = False
        self._seen_files: set[Path] = set()

    def _add(self, manifests: Iterable[Manifest]) -> None:
        for manifest in manifests:
            if isinstance(manifest, WorkflowTemplate | ClusterWorkflowTemplate):
                self._templates.setdefault((type(manifest), manifest.name), manifest)

    def skip_files(self, files: Iterable[str | Path]) -> None:
        """Files already loaded (the command line's), not to be read again while searching."""
        self._seen_files.update(Path(f).resolve() for f in files)

    def _search(self) -> None:
        if self._searched:
            return
        self._searched = True
        candidates: list[Path] = []
        for folder in self._dirs:
            try:
                candidates.extend(sorted(p for p in folder.iterdir()
                                         if p.suffix in (".yaml", ".yml") and p.is_file()))
            except OSError:
                continue
        for path in candidates[:MAX_NEIGHBOURS]:
            resolved = path.resolve()
            if resolved in self._seen_files:
                continue
            self._seen_files.add(resolved)
            try:
                if path.stat().st_size > NEIGHBOUR_MAX_BYTES:
                    continue
            except OSError:
                continue
            documents, _ = load_file(path)  # a broken neighbour is not this workflow's problem
            self._add(m for m in map(build_manifest, documents) if m is not None)

    def find(self, name: str, cluster_scope: bool) -> Manifest | None:
        key = (_kind_of(cluster_scope), name)
        if key not in self._templates:
            self._search()
        return self._templates.get(key)

    def names(self, cluster_scope: bool) -> list[str]:
        self._search()
        kind = _kind_of(cluster_scope)
        return sorted(name for k, name in self._templates if k is kind)


class ChainResolver:
    """Asks each resolver in turn; the first that knows a name wins."""

    def __init__(self, *resolvers: TemplateResolver) -> None:
        self.resolvers = resolvers

    def find(self, name: str, cluster_scope: bool) -> Manifest | None:
        for resolver in self.resolvers:
            found = resolver.find(name, cluster_scope)
            if found is not None:
                return found
        return None

    def names(self, cluster_scope: bool) -> list[str]:
        return sorted({n for r in self.resolvers for n in r.names(cluster_scope)})
