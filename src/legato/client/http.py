"""HttpBackend: the Backend protocol over Legato's REST API, for processes that run flows
against a server (workers, `legato run` with LEGATO_API_URL). Sync, pooled, thread-safe."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import quote

from legato._clock import SYSTEM_CLOCK, Clock
from legato.client import lean_wire
from legato.client.http_events import HttpEvents
from legato.client.http_pauses import HttpPauses
from legato.client.http_sync import HttpSync
from legato.client.http_templates import HttpTemplates
from legato.client.http_vault import HttpVault
from legato.client.session import ApiSession, Params
from legato.client.transport import ApiResponse, Transport
from legato.core.ids import new_id
from legato.core.limits import TaskSlotGrant
from legato.core.records import (
    FlowRunRecord,
    FlowVersionRecord,
    LogRecord,
    NewFlowRun,
    ResultRef,
    StateEventRecord,
    TaskRunRecord,
    WriteBatch,
)
from legato.core.states import StateType
from legato.core.wire import IDEMPOTENCY_HEADER, MAX_LOG_PAGE, MAX_PAGE
from legato.core.workers import Claim, WorkerRecord
from legato.errors import ConfigError, ParameterError
from legato.settings import Settings

if TYPE_CHECKING:
    import httpx
    from pydantic import BaseModel

# The wire models (legato.schemas) are imported inside the methods that use them: a run's
# process speaks its few requests through `lean_wire` and never builds a pydantic model.
M = TypeVar("M", bound="BaseModel")
R = TypeVar("R")
DEFAULT_TIMEOUT = 30.0
DEFAULT_RETRIES = 4


def _encode(build: Callable[[], BaseModel], what: str) -> bytes:
    """The JSON body for a request; what cannot go on the wire is a ParameterError."""
    from pydantic import ValidationError  # with the model `build` makes, so already loaded
    from pydantic_core import PydanticSerializationError

    try:
        return build().model_dump_json().encode()
    except ValidationError as error:
        problems = [
            (".".join(str(part) for part in item["loc"]), item["msg"]) for item in error.errors()
        ]
        fields = ", ".join(field for field, _ in problems)
        raise ParameterError(
            f"{what} has invalid fields ({fields}); fix them before sending.", problems
        ) from None
    except PydanticSerializationError as error:
        raise ParameterError(
            f"{what} holds a value that cannot be sent as JSON ({error}); pass JSON-compatible "
            "values (str, int, float, bool, None, lists, dicts)."
        ) from None


def _segment(value: str) -> str:
    return quote(value, safe="")


def _check_page(limit: int, offset: int, what: str) -> None:
    if limit < 0 or offset < 0:
        raise ParameterError(f"{what} got limit={limit}, offset={offset}; both must be 0 or more.")


class HttpBackend(HttpPauses, HttpEvents, HttpSync, HttpVault, HttpTemplates):
    """The Backend protocol spoken to a Legato server over HTTP.

    >>> backend = HttpBackend("http://127.0.0.1:4200")
    >>> backend.list_flow_runs(limit=5)
    """

    def __init__(
        self,
        api_url: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
        clock: Clock = SYSTEM_CLOCK,
        transport: Transport | httpx.BaseTransport | None = None,
        api_key: str | None = None,
    ) -> None:
        self.session = ApiSession(
            api_url, timeout=timeout, retries=retries, clock=clock, transport=transport,
            api_key=api_key,
        )

    def __repr__(self) -> str:
        return f"HttpBackend({self.session.base_url!r})"

    # -- plumbing -------------------------------------------------------------------
    def _get(self, path: str, model: type[M], params: Params = None) -> M:
        response = self.session.request("GET", path, params=params, idempotent=True)
        return self._parse(response, model)

    def _post(
        self,
        path: str,
        body: Callable[[], BaseModel] | None,
        model: type[M] | None,
        *,
        idempotent: bool,
        headers: dict[str, str] | None = None,
        what: str = "the request",
    ) -> M | None:
        content = _encode(body, what) if body is not None else None
        response = self.session.request(
            "POST", path, content=content, headers=headers, idempotent=idempotent
        )
        return None if model is None else self._parse(response, model)

    def _post_for(
        self,
        path: str,
        body: Callable[[], BaseModel] | None,
        model: type[M],
        *,
        idempotent: bool,
        what: str = "the request",
    ) -> M:
        result = self._post(path, body, model, idempotent=idempotent, what=what)
        assert result is not None
        return result

    def _parse(self, response: ApiResponse, model: type[M]) -> M:
        from pydantic import ValidationError  # loaded with `model`

        try:
            return model.model_validate_json(response.content)
        except ValidationError as error:
            raise ConfigError(
                f"{self!r} answered {response.method} {response.path} with "
                f"a body that is not a {model.__name__} ({error.error_count()} error(s)); run the "
                "same Legato version on the client and the server."
            ) from None

    def _json(self, response: ApiResponse, decode: Callable[[object], R]) -> R:
        """A response decoded by a `lean_wire` decoder, refused as `_parse` refuses one."""
        try:
            return decode(lean_wire.decode(response.content))
        except (lean_wire.MalformedBody, KeyError, TypeError, ValueError) as error:
            raise ConfigError(
                f"{self!r} answered {response.method} {response.path} with "
                f"a body that is not what {decode.__name__} reads ({error}); run the same Legato "
                "version on the client and the server."
            ) from None

    # -- flow versions --------------------------------------------------------------
    def register_flow_version(
        self, flow_name: str, source: str, source_hash: str, entrypoint: str | None
    ) -> str:
        from legato.schemas.api import FlowVersionIdModel, RegisterFlowVersionBody  # a CLI's

        def body() -> RegisterFlowVersionBody:
            return RegisterFlowVersionBody(
                flow_name=flow_name, source=source, source_hash=source_hash, entrypoint=entrypoint
            )

        what = f"flow version of {flow_name!r}"
        return self._post_for(
            "/flow-versions", body, FlowVersionIdModel, idempotent=True, what=what
        ).id

    def read_flow_version(self, flow_version_id: str) -> FlowVersionRecord:
        # Only the old launch without a hand-over reads this in a run's process.
        from legato.schemas.records import FlowVersionModel

        return self._get(
            f"/flow-versions/{_segment(flow_version_id)}", FlowVersionModel
        ).to_record()

    # -- flow runs ------------------------------------------------------------------
    def create_flow_run(self, new: NewFlowRun) -> FlowRunRecord:
        # A subflow's run: rare enough in a run's process to load the models for it.
        from legato.schemas.records import FlowRunModel, NewFlowRunModel

        created = self._post_for(
            "/flow-runs",
            lambda: NewFlowRunModel.from_record(new),
            FlowRunModel,
            idempotent=False,
            what=f"new flow run {new.id}",
        )
        return created.to_record()

    def read_flow_run(self, flow_run_id: str) -> FlowRunRecord:
        response = self.session.request("GET", f"/flow-runs/{_segment(flow_run_id)}",
                                        idempotent=True)
        return self._json(response, lean_wire.flow_run)

    def list_flow_runs(
        self,
        *,
        flow_name: str | None = None,
        states: Sequence[StateType] | None = None,
        parent_flow_run_id: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[FlowRunRecord]:
        from legato.schemas.api import FlowRunPage  # listing is not a run's work

        _check_page(limit, offset, "list_flow_runs")
        filters: list[tuple[str, str | int | float | bool | None]] = []
        if flow_name is not None:
            filters.append(("flow_name", flow_name))
        filters.extend(("state", StateType(state).value) for state in states or ())
        if parent_flow_run_id is not None:
            filters.append(("parent_flow_run_id", parent_flow_run_id))
        found: list[FlowRunRecord] = []
        next_offset: int | None = offset
        while next_offset is not None and len(found) < limit:
            size = min(limit - len(found), MAX_PAGE)
            params = [*filters, ("limit", size), ("offset", next_offset)]
            page = self._get("/flow-runs", FlowRunPage, params)
            found.extend(item.to_record() for item in page.items)
            next_offset = page.next_offset
        return found

    def set_flow_run_state(
        self,
        flow_run_id: str,
        state: StateType,
        *,
        message: str | None = None,
        result: ResultRef | None = None,
        force: bool = False,
        epoch: int | None = None,
    ) -> FlowRunRecord:
        path = f"/flow-runs/{_segment(flow_run_id)}/state"
        what = f"state change of flow run {flow_run_id}"
        content = lean_wire.encode_set_state(state, message, result, force, epoch, what)
        response = self.session.request("POST", path, content=content, idempotent=False)
        return self._json(response, lean_wire.flow_run)

    def retry_flow_run(self, flow_run_id: str) -> FlowRunRecord:
        path = f"/flow-runs/{_segment(flow_run_id)}/retry"
        response = self.session.request("POST", path, idempotent=False)
        return self._json(response, lean_wire.flow_run)

    # -- write batches and reads ----------------------------------------------------
    def write(self, batch: WriteBatch) -> None:
        if not batch:
            return
        # The key lets the server replay the first outcome when a retry follows a lost
        # response, so the batch is never applied twice.
        headers = {IDEMPOTENCY_HEADER: new_id()}
        content = lean_wire.encode_write_batch(batch)
        self.session.request("POST", "/write-batches", content=content, headers=headers,
                             idempotent=True)

    def read_task_runs(self, flow_run_id: str) -> list[TaskRunRecord]:
        path = f"/flow-runs/{_segment(flow_run_id)}/task-runs"
        runs: dict[str, TaskRunRecord] = {}
        next_offset: int | None = 0
        while next_offset is not None:
            params: Params = [("limit", MAX_PAGE), ("offset", next_offset)]
            response = self.session.request("GET", path, params=params, idempotent=True)
            items, next_offset = self._json(response, lean_wire.task_run_page)
            # Keyed by id: a page boundary that shifts between two reads cannot duplicate.
            runs.update((item.id, item) for item in items)
        return list(runs.values())

    def count_task_runs(self, flow_run_id: str) -> dict[StateType, int]:
        from legato.schemas.api import TaskRunCountsModel  # the UI's and CLI's, not a run's

        return self._get(
            f"/flow-runs/{_segment(flow_run_id)}/task-run-counts", TaskRunCountsModel
        ).counts

    def read_state_events(self, run_id: str) -> list[StateEventRecord]:
        from legato.schemas.api import StateEventPage  # history is read by tools, not runs

        path = f"/runs/{_segment(run_id)}/state-events"
        events: list[StateEventRecord] = []
        next_offset: int | None = 0
        while next_offset is not None:
            page = self._get(path, StateEventPage, [("limit", MAX_PAGE), ("offset", next_offset)])
            events.extend(item.to_stored() for item in page.items)
            next_offset = page.next_offset
        return events

    def read_logs(
        self,
        flow_run_id: str,
        *,
        task_run_id: str | None = None,
        after_id: int = 0,
        limit: int = 1000,
    ) -> list[LogRecord]:
        from legato.schemas.api import LogPage  # logs are read by tools, not runs

        _check_page(limit, 0, "read_logs")
        path = f"/flow-runs/{_segment(flow_run_id)}/logs"
        lines: list[LogRecord] = []
        cursor: int | None = after_id
        while cursor is not None and len(lines) < limit:
            params: list[tuple[str, str | int | float | bool | None]] = [
                ("after_id", cursor),
                ("limit", min(limit - len(lines), MAX_LOG_PAGE)),
            ]
            if task_run_id is not None:
                params.append(("task_run_id", task_run_id))
            page = self._get(path, LogPage, params)
            lines.extend(item.to_stored() for item in page.items)
            cursor = page.next_after_id
        return lines

    def read_edges(self, flow_run_id: str) -> list[tuple[str, str]]:
        from legato.schemas.api import EdgePage  # the graph is read by tools, not runs

        path = f"/flow-runs/{_segment(flow_run_id)}/edges"
        edges: list[tuple[str, str]] = []
        next_offset: int | None = 0
        while next_offset is not None:
            page = self._get(path, EdgePage, [("limit", MAX_PAGE), ("offset", next_offset)])
            edges.extend((item.upstream_id, item.downstream_id) for item in page.items)
            next_offset = page.next_offset
        return edges

    # -- cache ----------------------------------------------------------------------
    def read_cache(self, cache_key: str, now: datetime) -> ResultRef | None:
        params: list[tuple[str, str | int | float | bool | None]] = [
            ("key", cache_key),
            ("now", now.isoformat()),
        ]
        response = self.session.request("GET", "/cache-entries", params=params, idempotent=True)
        return self._json(response, lean_wire.cache_entry)

    def write_cache(self, cache_key: str, result: ResultRef, expires: datetime | None) -> None:
        content = lean_wire.encode_cache_write(cache_key, result, expires)
        self.session.request("POST", "/cache-entries", content=content, idempotent=True)

    # -- workers and leases -----------------------------------------------------------
    def register_worker(
        self,
        name: str,
        queues: Sequence[str],
        *,
        pid: int | None = None,
        host: str | None = None,
    ) -> WorkerRecord:
        from legato.schemas.workers import RegisterWorkerBody, WorkerModel  # a worker's

        def body() -> RegisterWorkerBody:
            return RegisterWorkerBody(name=name, queues=list(queues), pid=pid, host=host)

        what = f"registration of worker {name!r}"
        return self._post_for("/workers", body, WorkerModel, idempotent=True, what=what).to_record()

    def worker_heartbeat(self, worker_id: str, *, status: str = "online") -> None:
        from legato.schemas.workers import WorkerHeartbeatBody  # a worker's

        def body() -> WorkerHeartbeatBody:
            return WorkerHeartbeatBody.model_validate({"status": status})

        path = f"/workers/{_segment(worker_id)}/heartbeat"
        self._post(path, body, None, idempotent=True, what=f"heartbeat of worker {worker_id}")

    def list_workers(self) -> list[WorkerRecord]:
        from legato.schemas.workers import WorkerList  # the CLI's

        return [item.to_record() for item in self._get("/workers", WorkerList).items]

    def claim_flow_runs(
        self,
        worker_id: str,
        queues: Sequence[str],
        limit: int,
        *,
        lease_seconds: float,
        wait_seconds: float = 0.0,
        start: bool = False,
    ) -> list[Claim]:
        from legato.schemas.workers import (  # a worker's
            MAX_CLAIM_WAIT_SECONDS,
            ClaimBody,
            ClaimList,
        )

        def body() -> ClaimBody:
            return ClaimBody(queues=list(queues), limit=limit, lease_seconds=lease_seconds,
                             wait_seconds=min(wait_seconds, MAX_CLAIM_WAIT_SECONDS),
                             start=start)

        if limit <= 0 or not queues:
            return []
        # Not retried after a lost response: the runs it claimed would be leased to nobody
        # who knows; the monitor recovers them once their lease expires.
        path = f"/workers/{_segment(worker_id)}/claims"
        what = f"claim of worker {worker_id}"
        claims = self._post_for(path, body, ClaimList, idempotent=False, what=what)
        return [item.to_record() for item in claims.items]

    def heartbeat_lease(
        self, flow_run_id: str, worker_id: str, epoch: int, *, lease_seconds: float
    ) -> datetime:
        from legato.schemas.workers import LeaseHeartbeatBody, LeaseModel  # a worker's

        def body() -> LeaseHeartbeatBody:
            return LeaseHeartbeatBody(worker_id=worker_id, epoch=epoch, lease_seconds=lease_seconds)

        path = f"/flow-runs/{_segment(flow_run_id)}/lease/heartbeat"
        what = f"lease heartbeat of flow run {flow_run_id}"
        return self._post_for(path, body, LeaseModel, idempotent=True, what=what).expires_at

    # -- task-run concurrency slots ---------------------------------------------------
    def limited_tags(self) -> frozenset[str]:
        response = self.session.request("GET", "/task-slots/limited-tags", idempotent=True)
        return self._json(response, lean_wire.limited_tags)

    def acquire_task_slots(
        self,
        task_run_id: str,
        flow_run_id: str,
        tags: Sequence[str],
        *,
        lease_seconds: float,
        wait_seconds: float = 0.0,
    ) -> TaskSlotGrant:
        # Only tasks with a limited tag ask for slots; their run loads the models then.
        from legato.schemas.limits import MAX_SLOT_WAIT_SECONDS, TaskSlotBody, TaskSlotGrantModel

        def body() -> TaskSlotBody:
            return TaskSlotBody(task_run_id=task_run_id, flow_run_id=flow_run_id,
                                tags=list(tags), lease_seconds=lease_seconds,
                                wait_seconds=min(wait_seconds, MAX_SLOT_WAIT_SECONDS))

        # Idempotent: asking again for slots the task run holds is granted again.
        what = f"task slots of task run {task_run_id}"
        grant = self._post_for("/task-slots", body, TaskSlotGrantModel, idempotent=True,
                               what=what)
        return TaskSlotGrant(grant.acquired, tuple(grant.blocked_by))

    def renew_task_slots(self, task_run_ids: Sequence[str], *, lease_seconds: float) -> int:
        from legato.schemas.limits import TaskSlotRenewBody, TaskSlotRenewModel  # as acquire

        def body() -> TaskSlotRenewBody:
            return TaskSlotRenewBody(task_run_ids=list(task_run_ids), lease_seconds=lease_seconds)

        return self._post_for("/task-slots/renew", body, TaskSlotRenewModel, idempotent=True,
                              what="task slot renewal").renewed

    def release_task_slots(self, task_run_id: str) -> None:
        self.session.request("DELETE", f"/task-slots/{_segment(task_run_id)}", idempotent=True)

    def heartbeat_leases(
        self, worker_id: str, held: Sequence[tuple[str, int]], *, lease_seconds: float
    ) -> list[str]:
        from legato.schemas.workers import (  # a worker's
            HeldLeaseModel,
            LeasesHeartbeatBody,
            LostLeasesModel,
        )

        def body() -> LeasesHeartbeatBody:
            return LeasesHeartbeatBody(
                leases=[HeldLeaseModel(flow_run_id=run_id, epoch=epoch) for run_id, epoch in held],
                lease_seconds=lease_seconds)

        path = f"/workers/{_segment(worker_id)}/leases/heartbeat"
        what = f"lease heartbeat of worker {worker_id}"
        return list(self._post_for(path, body, LostLeasesModel, idempotent=True, what=what).lost)

    def close(self) -> None:
        self.session.close()


def create_http_backend(settings: Settings, *, clock: Clock = SYSTEM_CLOCK) -> HttpBackend:
    """An HttpBackend on `settings.api_url` (LEGATO_API_URL) sending `settings.api_key`
    (LEGATO_API_KEY) as its token; the factory named by
    Settings.backend_factory when a server URL is set.

    >>> backend = create_http_backend(Settings.from_env({"LEGATO_API_URL": "http://127.0.0.1:4200"}))
    """
    if not settings.api_url:
        raise ConfigError(
            "the HTTP backend needs a server URL; set LEGATO_API_URL, e.g. http://127.0.0.1:4200."
        )
    return HttpBackend(settings.api_url, clock=clock, api_key=settings.api_key)
