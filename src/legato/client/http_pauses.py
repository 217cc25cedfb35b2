"""Pause points over the REST API, mixed into HttpBackend: the engine's pause and expiry
requests, resumes with input, and reading a run's pause points."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from legato.core.pauses import PauseRequest, RunInputRecord
from legato.core.records import FlowRunRecord
from legato.errors import NotFound

# The wire models are imported by the methods that use them: a run that does not pause
# builds none of them.
if TYPE_CHECKING:
    from legato.schemas.pauses import PauseBody, RunInputModel
    from legato.schemas.records import FlowRunModel


def _run_path(flow_run_id: str, tail: str) -> str:
    return f"/flow-runs/{quote(flow_run_id, safe='')}/{tail}"


class HttpPauses:
    """Mixed into HttpBackend, which provides `_get` and `_post_for`."""

    _get: Callable[..., Any]
    _post_for: Callable[..., Any]

    def pause_flow_run(
        self, flow_run_id: str, request: PauseRequest, *, epoch: int | None = None
    ) -> FlowRunRecord:
        from legato.schemas.pauses import PauseBody
        from legato.schemas.records import FlowRunModel

        def body() -> PauseBody:
            return PauseBody(
                key=request.key, kind=request.kind, deadline=request.deadline,
                input_schema=request.schema, description=request.description, epoch=epoch,
            )

        model: FlowRunModel = self._post_for(
            _run_path(flow_run_id, "pause"), body, FlowRunModel, idempotent=False,
            what=f"pause of flow run {flow_run_id}")
        return model.to_record()

    def resume_flow_run(
        self, flow_run_id: str, run_input: Any = None, *, key: str | None = None
    ) -> FlowRunRecord:
        from legato.schemas.pauses import ResumeBody
        from legato.schemas.records import FlowRunModel

        model: FlowRunModel = self._post_for(
            _run_path(flow_run_id, "resume"), lambda: ResumeBody(input=run_input, key=key),
            FlowRunModel, idempotent=False, what=f"resume of flow run {flow_run_id}")
        return model.to_record()

    def expire_pause(
        self, flow_run_id: str, key: str, *, epoch: int | None = None
    ) -> RunInputRecord:
        from legato.schemas.pauses import ExpirePauseBody, RunInputModel

        model: RunInputModel = self._post_for(
            _run_path(flow_run_id, "pause/expire"), lambda: ExpirePauseBody(key=key, epoch=epoch),
            RunInputModel, idempotent=True, what=f"pause expiry of flow run {flow_run_id}")
        return model.to_record()

    def read_run_input(self, flow_run_id: str, key: str | None = None) -> RunInputRecord | None:
        from legato.schemas.pauses import RunInputModel

        tail = "input-request" if key is None else f"inputs/{quote(key, safe='')}"
        try:
            model: RunInputModel = self._get(_run_path(flow_run_id, tail), RunInputModel)
        except NotFound:
            return None
        return model.to_record()
