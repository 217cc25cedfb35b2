"""Argo WorkflowTemplates and ClusterWorkflowTemplates registered with the server: the stored
record, and the optional `WorkflowTemplateSource` part of a backend through which a YAML run
finds a `templateRef` its own files do not hold (see ADR 0023)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

TEMPLATE_KINDS = ("WorkflowTemplate", "ClusterWorkflowTemplate")


def template_kind(cluster_scope: bool) -> str:
    """The kind a templateRef with `clusterScope` names."""
    return TEMPLATE_KINDS[1] if cluster_scope else TEMPLATE_KINDS[0]


@dataclass(frozen=True, slots=True)
class WorkflowTemplateRecord:
    """One stored template: its manifest text (the file it was applied from, which may hold
    other templates too), a digest of it, and a version that grows by one per change."""

    kind: str
    name: str
    source: str
    source_hash: str
    version: int
    created: datetime
    updated: datetime

    @property
    def cluster_scope(self) -> bool:
        return self.kind == TEMPLATE_KINDS[1]


@runtime_checkable
class WorkflowTemplateSource(Protocol):
    """Reads registered templates (LocalBackend from the store, HttpBackend from the API)."""

    def read_workflow_template(self, name: str, *,
                               cluster_scope: bool = False) -> WorkflowTemplateRecord | None:
        """The stored template of that kind and name, or None."""
        ...
