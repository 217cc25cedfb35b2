"""Argo Workflows manifests (Workflow, WorkflowTemplate, ClusterWorkflowTemplate, CronWorkflow):
YAML with positions, the typed model, the `depends` language and validation with every problem
at `file:line:col`. The YAML runtime builds on the model in `argo.model`."""

from .depends import DependsExpr, ExpressionSyntaxError, Outcome, parse_depends
from .loader import Document, load_file, load_text
from .model import (
    ClusterWorkflowTemplate,
    CronWorkflow,
    DagTask,
    Manifest,
    Step,
    Template,
    Workflow,
    WorkflowSpec,
    WorkflowTemplate,
)
from .problems import ManifestProblem, Position
from .resolve import ChainResolver, LocalTemplateResolver, TemplateResolver
from .validate import (
    Validation,
    load_manifests,
    validate,
    validate_documents,
    validate_files,
    validate_text,
)

__all__ = [
    "ChainResolver",
    "LocalTemplateResolver",
    "TemplateResolver",
    "ClusterWorkflowTemplate",
    "CronWorkflow",
    "DagTask",
    "DependsExpr",
    "Document",
    "ExpressionSyntaxError",
    "Manifest",
    "ManifestProblem",
    "Outcome",
    "Position",
    "Step",
    "Template",
    "Validation",
    "Workflow",
    "WorkflowSpec",
    "WorkflowTemplate",
    "load_file",
    "load_manifests",
    "load_text",
    "parse_depends",
    "validate",
    "validate_documents",
    "validate_files",
    "validate_text",
]
