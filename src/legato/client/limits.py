"""LimitsClient: the work-queue and concurrency-limit part of the REST API (list, create,
change, pause and resume queues; set, read, list and delete limits by tag)."""

from __future__ import annotations

from typing import Any, TypeVar
from urllib.parse import quote

from pydantic import BaseModel, ValidationError

from legato.client.deployments import build_body
from legato.client.session import ApiSession
from legato.client.transport import ApiResponse
from legato.errors import ConfigError, NotFound
from legato.schemas.limits import (
    ConcurrencyLimitBody,
    ConcurrencyLimitList,
    ConcurrencyLimitModel,
    WorkQueueCreateBody,
    WorkQueueList,
    WorkQueueModel,
    WorkQueueUpdateBody,
)

M = TypeVar("M", bound=BaseModel)


def _segment(value: str) -> str:
    return quote(value, safe="")


class LimitsClient:
    """Work queues and concurrency limits of one Legato server.

    >>> LimitsClient("http://127.0.0.1:4200").set_concurrency_limit("database", 2).in_use
    0
    """

    def __init__(
        self, api_url: str, *, session: ApiSession | None = None, timeout: float = 30.0
    ) -> None:
        self.session = session or ApiSession(api_url, timeout=timeout)

    def __enter__(self) -> LimitsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.session.close()

    def _call(
        self, method: str, path: str, model: type[M] | None, *, body: BaseModel | None = None,
        idempotent: bool,
    ) -> M | None:
        content = None if body is None else body.model_dump_json(exclude_unset=True).encode()
        response = self.session.request(method, path, content=content, idempotent=idempotent)
        return None if model is None else self._parse(response, model)

    def _parse(self, response: ApiResponse, model: type[M]) -> M:
        try:
            return model.model_validate_json(response.content)
        except ValidationError as error:
            raise ConfigError(
                f"the server at {self.session.base_url} answered {response.path} "
                f"with a body that is not a {model.__name__} ({error.error_count()} error(s)); "
                "run the same Legato version on the client and the server."
            ) from None

    def _get(self, method: str, path: str, model: type[M], *, body: BaseModel | None = None,
             idempotent: bool = True) -> M:
        found = self._call(method, path, model, body=body, idempotent=idempotent)
        assert found is not None
        return found

    # -- work queues --------------------------------------------------------------------
    def list_work_queues(self) -> list[WorkQueueModel]:
        """Stored work queues, highest priority first."""
        return self._get("GET", "/work-queues", WorkQueueList).items

    def create_work_queue(self, name: str, **fields: Any) -> WorkQueueModel:
        """Store a queue (priority, concurrency_limit, paused, description); Conflict when
        it exists."""
        body = build_body(WorkQueueCreateBody, f"work queue {name!r}", name=name, **fields)
        return self._get("POST", "/work-queues", WorkQueueModel, body=body, idempotent=False)

    def update_work_queue(self, name: str, **changes: Any) -> WorkQueueModel:
        """Change some fields of a stored queue (concurrency_limit=None drops the limit)."""
        body = build_body(WorkQueueUpdateBody, f"change of work queue {name!r}", **changes)
        return self._get("PATCH", f"/work-queues/{_segment(name)}", WorkQueueModel, body=body)

    def set_paused(self, name: str, paused: bool) -> WorkQueueModel:
        """Pause or resume a queue, storing it first when it was implicit."""
        try:
            return self.update_work_queue(name, paused=paused)
        except NotFound:
            return self.create_work_queue(name, paused=paused)

    # -- concurrency limits -------------------------------------------------------------
    def list_concurrency_limits(self) -> list[ConcurrencyLimitModel]:
        """Every limit by tag with its slots in use and holders."""
        return self._get("GET", "/concurrency-limits", ConcurrencyLimitList).items

    def set_concurrency_limit(self, tag: str, limit: int) -> ConcurrencyLimitModel:
        """Create a tag's limit ("*": every flow run) or change its slot count."""
        body = build_body(ConcurrencyLimitBody, f"concurrency limit {tag!r}", tag=tag,
                          limit=limit)
        return self._get("POST", "/concurrency-limits", ConcurrencyLimitModel, body=body)

    def read_concurrency_limit(self, tag: str) -> ConcurrencyLimitModel:
        return self._get("GET", f"/concurrency-limits/{_segment(tag)}", ConcurrencyLimitModel)

    def delete_concurrency_limit(self, tag: str) -> None:
        self._call("DELETE", f"/concurrency-limits/{_segment(tag)}", None, idempotent=True)
