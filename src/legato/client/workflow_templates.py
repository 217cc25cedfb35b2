"""WorkflowTemplates registered with a server over the REST API: `TemplatesClient` for the
CLI (apply, list, show, delete). HttpBackend's own reads are in `http_templates`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from legato.client.http_templates import cluster_param, template_path
from legato.client.session import ApiSession, Params
from legato.client.transport import ApiResponse
from legato.core.workflow_templates import WorkflowTemplateRecord
from legato.errors import ConfigError, NotFound
from legato.schemas.workflow_templates import (
    AppliedTemplateList,
    WorkflowTemplateApplyBody,
    WorkflowTemplateModel,
    WorkflowTemplatePage,
)

M = TypeVar("M", bound=BaseModel)


_path = template_path
_cluster = cluster_param


class TemplatesClient:
    """The workflow templates of one Legato server.

    >>> TemplatesClient("http://127.0.0.1:4200").apply(text, "shared.yaml")
    """

    def __init__(self, api_url: str, *, timeout: float = 30.0,
                 api_key: str | None = None) -> None:
        self.session = ApiSession(api_url, timeout=timeout, api_key=api_key)

    def __enter__(self) -> TemplatesClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.session.close()

    def _call(self, method: str, path: str, model: type[M], *, body: BaseModel | None = None,
              params: Params = None, idempotent: bool) -> M:
        content = None if body is None else body.model_dump_json().encode()
        response = self.session.request(method, path, content=content, params=params,
                                        idempotent=idempotent)
        return self._parse(response, model)

    def _parse(self, response: ApiResponse, model: type[M]) -> M:
        try:
            return model.model_validate_json(response.content)
        except ValidationError as error:
            raise ConfigError(
                f"the server at {self.session.base_url} answered {response.path} "
                f"with a body that is not a {model.__name__} ({error.error_count()} error(s)); "
                "run the same Legato version on the client and the server.") from None

    def apply(self, source: str, filename: str, *, replace: bool = True) -> AppliedTemplateList:
        """Register (or with `replace`, register or replace) the templates of a manifest."""
        body = WorkflowTemplateApplyBody(source=source, filename=filename)
        return self._call("PUT" if replace else "POST", "/workflow-templates",
                          AppliedTemplateList, body=body, idempotent=replace)

    def list_all(self, *, cluster_scope: bool | None = None) -> Iterator[WorkflowTemplateModel]:
        after: str | None = None
        while True:
            params: list[tuple[str, str | int | float | bool | None]] = [("limit", "500")]
            if cluster_scope is not None:
                params += [("cluster", "true" if cluster_scope else "false")]
            if after is not None:
                params.append(("after", after))
            page = self._call("GET", "/workflow-templates", WorkflowTemplatePage, params=params,
                              idempotent=True)
            yield from page.items
            if page.next_after is None:
                return
            after = page.next_after

    def read(self, name: str, *, cluster_scope: bool = False) -> WorkflowTemplateModel:
        return self._call("GET", _path(name), WorkflowTemplateModel,
                          params=_cluster(cluster_scope), idempotent=True)

    def read_workflow_template(self, name: str, *,
                               cluster_scope: bool = False) -> WorkflowTemplateRecord | None:
        """`core.workflow_templates.WorkflowTemplateSource`: what `legato deploy` pins."""
        try:
            return self.read(name, cluster_scope=cluster_scope).to_record()
        except NotFound:
            return None

    def delete(self, name: str, *, cluster_scope: bool = False) -> None:
        self.session.request("DELETE", _path(name), params=_cluster(cluster_scope),
                             idempotent=True)
