"""Wire models for WorkflowTemplates registered with the server: the manifest text to apply,
a stored template (with or without its text) and pages of them."""

from __future__ import annotations

from typing import Literal

from legato.core.workflow_templates import WorkflowTemplateRecord
from legato.schemas.fields import Count, Name, Path, Source, Timestamp
from legato.schemas.records import WireModel


class WorkflowTemplateApplyBody(WireModel):
    """A manifest text holding one or more WorkflowTemplates or ClusterWorkflowTemplates;
    `filename` is the name problems are reported against (file:line:col)."""

    source: Source
    filename: Path = "<request>"


class WorkflowTemplateModel(WireModel):
    kind: Literal["WorkflowTemplate", "ClusterWorkflowTemplate"]
    name: Name
    version: Count
    source_hash: str
    created: Timestamp
    updated: Timestamp
    source: Source | None = None

    @classmethod
    def from_record(cls, record: WorkflowTemplateRecord, *,
                    with_source: bool = True) -> WorkflowTemplateModel:
        return cls(kind=record.kind, name=record.name,  # type: ignore[arg-type]
                   version=record.version, source_hash=record.source_hash,
                   created=record.created, updated=record.updated,
                   source=record.source if with_source else None)

    def to_record(self) -> WorkflowTemplateRecord:
        return WorkflowTemplateRecord(self.kind, self.name, self.source or "", self.source_hash,
                                      self.version, self.created, self.updated)


class AppliedTemplateModel(WireModel):
    template: WorkflowTemplateModel
    change: Literal["created", "updated", "unchanged"]


class AppliedTemplateList(WireModel):
    items: list[AppliedTemplateModel]


class WorkflowTemplatePage(WireModel):
    """One page of templates (without their text); pass `next_after` as `after` for the next."""

    items: list[WorkflowTemplateModel]
    next_after: str | None = None
