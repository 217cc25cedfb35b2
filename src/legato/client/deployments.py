"""DeploymentsClient: the deployments part of the REST API (create, find, list, update, pause,
resume, delete, run now, runs, backfill), over the client's one transport boundary."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import quote

from pydantic import BaseModel, ValidationError

from legato.client.session import ApiSession, Params
from legato.client.transport import ApiResponse
from legato.errors import ConfigError, NotFound, ParameterError
from legato.schemas.api import MAX_PAGE
from legato.schemas.deployments import (
    BackfillBody,
    BackfillResultModel,
    DeploymentCreateBody,
    DeploymentModel,
    DeploymentPage,
    DeploymentRunModel,
    DeploymentRunPage,
    DeploymentUpdateBody,
    RunDeploymentBody,
)
from legato.schemas.triggers import TriggerListBody, TriggerModel, TriggerPage

M = TypeVar("M", bound=BaseModel)


def _segment(value: str) -> str:
    return quote(value, safe="")


def build_body(model: type[M], what: str, **fields: Any) -> M:
    """A request body; fields the wire schema refuses are a ParameterError naming them."""
    try:
        return model(**fields)
    except ValidationError as error:
        problems = [
            (".".join(str(part) for part in item["loc"]) or "body",
             str(item["msg"]).removeprefix("Value error, "))
            for item in error.errors()
        ]
        details = "; ".join(f"{field}: {problem}" for field, problem in problems)
        raise ParameterError(f"{what} has invalid fields ({details}).", problems) from None


class DeploymentsClient:
    """Deployments of one Legato server.

    >>> client = DeploymentsClient("http://127.0.0.1:4200")
    >>> client.resolve("hello/every-minute").id
    """

    def __init__(
        self,
        api_url: str,
        *,
        session: ApiSession | None = None,
        timeout: float = 30.0,
        api_key: str | None = None,
    ) -> None:
        self.session = session or ApiSession(api_url, timeout=timeout, api_key=api_key)

    def __enter__(self) -> DeploymentsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.session.close()

    # -- plumbing -------------------------------------------------------------------
    def _send(
        self, method: str, path: str, model: type[M] | None, *, body: BaseModel | None = None,
        params: Params = None, idempotent: bool,
    ) -> M | None:
        content = None if body is None else body.model_dump_json(exclude_unset=True).encode()
        response = self.session.request(
            method, path, content=content, params=params, idempotent=idempotent
        )
        return None if model is None else self._parse(response, model)

    def _call(
        self, method: str, path: str, model: type[M], *, body: BaseModel | None = None,
        params: Params = None, idempotent: bool,
    ) -> M:
        result = self._send(method, path, model, body=body, params=params, idempotent=idempotent)
        assert result is not None
        return result

    def _parse(self, response: ApiResponse, model: type[M]) -> M:
        try:
            return model.model_validate_json(response.content)
        except ValidationError as error:
            raise ConfigError(
                f"the server at {self.session.base_url} answered {response.path} "
                f"with a body that is not a {model.__name__} ({error.error_count()} error(s)); "
                "run the same Legato version on the client and the server."
            ) from None

    # -- deployments ------------------------------------------------------------------
    def create(self, body: DeploymentCreateBody) -> DeploymentModel:
        """Create a deployment (Conflict when the flow has one with that name)."""
        return self._call("POST", "/deployments", DeploymentModel, body=body, idempotent=False)

    def update(self, deployment_id: str, body: DeploymentUpdateBody) -> DeploymentModel:
        """Change the fields set in `body`."""
        path = f"/deployments/{_segment(deployment_id)}"
        return self._call("PATCH", path, DeploymentModel, body=body, idempotent=True)

    def read(self, deployment_id: str) -> DeploymentModel:
        return self._call(
            "GET", f"/deployments/{_segment(deployment_id)}", DeploymentModel, idempotent=True
        )

    def find(self, flow_name: str, name: str) -> DeploymentModel | None:
        """The deployment `name` of flow `flow_name`, or None."""
        params: Params = [("flow_name", flow_name), ("name", name)]
        page = self._call("GET", "/deployments", DeploymentPage, params=params, idempotent=True)
        return page.items[0] if page.items else None

    def resolve(self, reference: str) -> DeploymentModel:
        """A deployment named by id or by "flow_name/deployment_name"."""
        flow_name, sep, name = reference.rpartition("/")
        if not sep:
            return self.read(reference)
        found = self.find(flow_name, name)
        if found is None:
            raise NotFound(
                f"flow {flow_name!r} has no deployment named {name!r}; check the names "
                "(legato deployments ls)."
            )
        return found

    def list_deployments(
        self, *, flow_name: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[DeploymentModel]:
        """Deployments, oldest first, following pages up to `limit`."""
        return list(self._pages(flow_name, limit, offset))

    def _pages(self, flow_name: str | None, limit: int, offset: int) -> Iterator[DeploymentModel]:
        seen = 0
        next_offset: int | None = offset
        while next_offset is not None and seen < limit:
            params: list[tuple[str, str | int | float | bool | None]] = [
                ("limit", min(limit - seen, MAX_PAGE)), ("offset", next_offset)
            ]
            if flow_name is not None:
                params.append(("flow_name", flow_name))
            page = self._call("GET", "/deployments", DeploymentPage, params=params,
                              idempotent=True)
            yield from page.items
            seen += len(page.items)
            next_offset = page.next_offset

    def put_triggers(self, deployment_id: str,
                     triggers: list[dict[str, Any]]) -> list[TriggerModel]:
        """Replace the deployment's triggers (dict forms of `core.triggers`)."""
        path = f"/deployments/{_segment(deployment_id)}/triggers"
        page = self._call("PUT", path, TriggerPage, body=TriggerListBody(triggers=triggers),
                          idempotent=True)
        return page.items

    def list_triggers(self, deployment_id: str | None = None) -> list[TriggerModel]:
        """Every trigger, or one deployment's."""
        path = "/triggers" if deployment_id is None else (
            f"/deployments/{_segment(deployment_id)}/triggers")
        return self._call("GET", path, TriggerPage, idempotent=True).items

    def pause(self, deployment_id: str) -> DeploymentModel:
        path = f"/deployments/{_segment(deployment_id)}/pause"
        return self._call("POST", path, DeploymentModel, idempotent=True)

    def resume(self, deployment_id: str) -> DeploymentModel:
        path = f"/deployments/{_segment(deployment_id)}/resume"
        return self._call("POST", path, DeploymentModel, idempotent=True)

    def delete(self, deployment_id: str) -> None:
        self._send("DELETE", f"/deployments/{_segment(deployment_id)}", None, idempotent=True)

    # -- runs -------------------------------------------------------------------------
    def run(
        self,
        deployment_id: str,
        parameters: dict[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
        priority: int | None = None,
    ) -> DeploymentRunModel:
        """Make a SCHEDULED run now (`priority` overrides the deployment's); with a key,
        retrying after a lost answer is safe."""
        body = build_body(RunDeploymentBody, f"run of deployment {deployment_id}",
                      parameters=parameters or {}, idempotency_key=idempotency_key,
                      priority=priority)
        path = f"/deployments/{_segment(deployment_id)}/runs"
        return self._call("POST", path, DeploymentRunModel, body=body,
                          idempotent=idempotency_key is not None)

    def runs(
        self, deployment_id: str, *, limit: int = 50, offset: int = 0
    ) -> list[DeploymentRunModel]:
        """The deployment's runs, oldest slot first, following pages up to `limit`."""
        path = f"/deployments/{_segment(deployment_id)}/runs"
        found: list[DeploymentRunModel] = []
        next_offset: int | None = offset
        while next_offset is not None and len(found) < limit:
            params: Params = [("limit", min(limit - len(found), MAX_PAGE)),
                              ("offset", next_offset)]
            page = self._call("GET", path, DeploymentRunPage, params=params, idempotent=True)
            found.extend(page.items)
            next_offset = page.next_offset
        return found

    def backfill(
        self, deployment_id: str, start: datetime, end: datetime, *, max_runs: int = 1000
    ) -> int:
        """Make one run per slot in [start, end); return how many are new (idempotent)."""
        body = build_body(BackfillBody, f"backfill of deployment {deployment_id}",
                      start=start, end=end, max_runs=max_runs)
        path = f"/deployments/{_segment(deployment_id)}/backfill"
        return self._call("POST", path, BackfillResultModel, body=body, idempotent=True).created
