"""Workflow templates read over the REST API, mixed into HttpBackend: how a YAML run resolves
a templateRef its files do not hold. Apart from `workflow_templates` (the CLI's client) so a
run's process that reads no template loads no wire model."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from legato.client.session import Params
from legato.core.workflow_templates import WorkflowTemplateRecord
from legato.errors import NotFound

if TYPE_CHECKING:
    from legato.schemas.workflow_templates import WorkflowTemplateModel


def template_path(name: str) -> str:
    return f"/workflow-templates/{quote(name, safe='')}"


def cluster_param(cluster_scope: bool) -> Params:
    return [("cluster", "true" if cluster_scope else "false")]


class HttpTemplates:
    """Mixed into HttpBackend, which provides `_get`."""

    _get: Callable[..., Any]

    def read_workflow_template(self, name: str, *,
                               cluster_scope: bool = False) -> WorkflowTemplateRecord | None:
        from legato.schemas.workflow_templates import WorkflowTemplateModel

        try:
            model: WorkflowTemplateModel = self._get(template_path(name), WorkflowTemplateModel,
                                                     cluster_param(cluster_scope))
        except NotFound:
            return None
        return model.to_record()
