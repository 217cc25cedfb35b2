"""Routes for Argo WorkflowTemplates and ClusterWorkflowTemplates registered with the server:
apply a manifest text (create, or create-or-replace), list, show with its text, delete.
A manifest that fails the checks of `legato validate` is a 422 listing each problem at
file:line:col."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from legato.errors import ParameterError
from legato.orchestration import workflow_templates as door
from legato.schemas.fields import MAX_NAME
from legato.schemas.workflow_templates import (
    AppliedTemplateList,
    AppliedTemplateModel,
    WorkflowTemplateApplyBody,
    WorkflowTemplateModel,
    WorkflowTemplatePage,
)
from legato.server.params import CONFLICT, NOT_FOUND
from legato.server.routes.deployments import StoreDep

router = APIRouter(tags=["workflows"])
TemplateName = Annotated[str, Path(min_length=1, max_length=MAX_NAME)]
Cluster = Annotated[bool, Query(description="true: a ClusterWorkflowTemplate.")]


def _applied(body: WorkflowTemplateApplyBody, store: StoreDep, *,
             replace: bool) -> AppliedTemplateList:
    results = door.apply_templates(store.db, body.source, body.filename, now=store.now(),
                                   replace=replace)
    return AppliedTemplateList(items=[
        AppliedTemplateModel(template=WorkflowTemplateModel.from_record(r, with_source=False),
                             change=change)  # type: ignore[arg-type]
        for r, change in results])


@router.post("/workflow-templates", status_code=201, response_model=AppliedTemplateList,
             responses=CONFLICT)
def create_workflow_templates(body: WorkflowTemplateApplyBody,
                              store: StoreDep) -> AppliedTemplateList:
    """Register the templates of a manifest; 409 when one is registered already (nothing is
    stored then), 422 with every problem when the manifest does not validate."""
    return _applied(body, store, replace=False)


@router.put("/workflow-templates", response_model=AppliedTemplateList)
def apply_workflow_templates(body: WorkflowTemplateApplyBody,
                             store: StoreDep) -> AppliedTemplateList:
    """Register or replace the templates of a manifest; a changed text gets the next version."""
    return _applied(body, store, replace=True)


@router.get("/workflow-templates", response_model=WorkflowTemplatePage)
def list_workflow_templates(
    store: StoreDep,
    cluster: Annotated[bool | None, Query()] = None,
    after: Annotated[str | None, Query(max_length=MAX_NAME + 40)] = None,
    limit: Annotated[int, Query(ge=1, le=door.MAX_PAGE)] = 100,
) -> WorkflowTemplatePage:
    """Registered templates by kind and name, without their text; `after` is the previous
    page's `next_after`."""
    cursor: tuple[str, str] | None = None
    if after is not None:
        kind, sep, name = after.partition("/")
        if not sep:
            raise ParameterError("after must be a next_after value (KIND/NAME) from a page.",
                                 [("after", "use KIND/NAME")])
        cursor = (kind, name)
    found = door.list_templates(store.db, cluster_scope=cluster, after=cursor, limit=limit)
    last = found[-1] if len(found) == limit else None
    return WorkflowTemplatePage(
        items=[WorkflowTemplateModel.from_record(r, with_source=False) for r in found],
        next_after=f"{last.kind}/{last.name}" if last else None)


@router.get("/workflow-templates/{name}", response_model=WorkflowTemplateModel,
            responses=NOT_FOUND)
def read_workflow_template(name: TemplateName, store: StoreDep,
                           cluster: Cluster = False) -> WorkflowTemplateModel:
    """One template with the manifest text it was applied from."""
    found = door.read_template(store.db, name, cluster_scope=cluster)
    if found is None:
        raise door.not_found(name, cluster)
    return WorkflowTemplateModel.from_record(found)


@router.delete("/workflow-templates/{name}", status_code=204, responses=NOT_FOUND)
def delete_workflow_template(name: TemplateName, store: StoreDep,
                             cluster: Cluster = False) -> Response:
    """Forget a template; deployments keep the copy pinned in their flow version."""
    door.delete_template(store.db, name, cluster_scope=cluster)
    return Response(status_code=204)
