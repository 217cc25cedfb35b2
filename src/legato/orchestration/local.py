"""LocalBackend: the Backend protocol served in-process from a SQLite or PostgreSQL store
(embedded mode, the server, tests). Reads go straight to the store; state changes go
through the orchestration service."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from legato._clock import SYSTEM_CLOCK, Clock
from legato.core.events import EventRecord, NewEvent
from legato.core.limits import TaskSlotGrant
from legato.core.pauses import PauseRequest, RunInputRecord
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
from legato.core.secrets import SecretInfo, VariableRecord
from legato.core.states import StateType
from legato.core.sync import DEFAULT_SYNC_LEASE_SECONDS, SyncGrant
from legato.core.workers import Claim, WorkerRecord
from legato.core.workflow_templates import WorkflowTemplateRecord
from legato.errors import BackendUnavailable, ParameterError
from legato.orchestration import sync, workflow_templates
from legato.orchestration.keyring import Keyring
from legato.orchestration.leases import LeaseService
from legato.orchestration.pauses import PauseService
from legato.orchestration.service import OrchestrationService, flow_run_not_found
from legato.orchestration.task_slots import TaskSlotService
from legato.orchestration.vault import Vault
from legato.settings import Settings
from legato.store import cache, event_log, events, flows, logs, migrate, runs, taskruns
from legato.store.database import Connection, Database, ensure_sqlite_directory, safe_url

T = TypeVar("T")


def _check_page(limit: int, offset: int, what: str) -> None:
    if limit < 0 or offset < 0:
        raise ParameterError(f"{what} got limit={limit}, offset={offset}; both must be 0 or more.")


class LocalBackend:
    """The Backend protocol over a store database, in this process. Thread-safe.

    >>> backend = LocalBackend(Database("sqlite:////tmp/legato.db"))  # schema already upgraded
    """

    def __init__(
        self, db: Database, *, clock: Clock = SYSTEM_CLOCK, keyring: Keyring | None = None
    ) -> None:
        self.db = db
        self.clock = clock
        self.service = OrchestrationService(db, clock)
        self.leases = LeaseService(self.service)
        self.pauses = PauseService(self.service)
        # Without a keyring, secrets fail with an error naming LEGATO_SECRET_KEY(S).
        self.vault = Vault(db, clock, keyring or Keyring())
        self.task_slots = TaskSlotService(db, clock)
        self._closed = False

    def __repr__(self) -> str:
        return f"LocalBackend({safe_url(self.db.url)!r})"

    def _read(self, query: Callable[[Connection], T]) -> T:
        self._check_open()
        with self.db.reading() as conn:
            return query(conn)

    def _check_open(self) -> None:
        if self._closed:
            raise BackendUnavailable(
                f"{self!r} was closed; create a new backend to keep using the database."
            )

    def register_flow_version(
        self, flow_name: str, source: str, source_hash: str, entrypoint: str | None
    ) -> str:
        self._check_open()
        return self.service.register_flow_version(flow_name, source, source_hash, entrypoint)

    def read_flow_version(self, flow_version_id: str) -> FlowVersionRecord:
        return self._read(lambda conn: flows.read_flow_version(conn, flow_version_id))

    def create_flow_run(self, new: NewFlowRun) -> FlowRunRecord:
        self._check_open()
        return self.service.create_flow_run(new)

    def read_flow_run(self, flow_run_id: str) -> FlowRunRecord:
        record = self._read(lambda conn: runs.read_flow_run(conn, flow_run_id))
        if record is None:
            raise flow_run_not_found(flow_run_id)
        return record

    def list_flow_runs(
        self,
        *,
        flow_name: str | None = None,
        states: Sequence[StateType] | None = None,
        parent_flow_run_id: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[FlowRunRecord]:
        _check_page(limit, offset, "list_flow_runs")
        return self._read(
            lambda conn: runs.list_flow_runs(
                conn,
                flow_name=flow_name,
                states=states,
                parent_flow_run_id=parent_flow_run_id,
                limit=limit,
                offset=offset,
            )
        )

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
        self._check_open()
        return self.service.set_flow_run_state(
            flow_run_id, state, message=message, result=result, force=force, epoch=epoch
        )

    def retry_flow_run(self, flow_run_id: str) -> FlowRunRecord:
        self._check_open()
        return self.service.retry_flow_run(flow_run_id)

    def write(self, batch: WriteBatch) -> None:
        self._check_open()
        self.service.write(batch)

    def read_task_runs(self, flow_run_id: str) -> list[TaskRunRecord]:
        return self._read(lambda conn: taskruns.read_task_runs(conn, flow_run_id))

    def count_task_runs(self, flow_run_id: str) -> dict[StateType, int]:
        return self._read(lambda conn: taskruns.count_task_runs(conn, flow_run_id))

    def read_state_events(self, run_id: str) -> list[StateEventRecord]:
        return self._read(lambda conn: events.read_state_events(conn, run_id))

    def read_logs(
        self,
        flow_run_id: str,
        *,
        task_run_id: str | None = None,
        after_id: int = 0,
        limit: int = 1000,
    ) -> list[LogRecord]:
        _check_page(limit, 0, "read_logs")
        return self._read(
            lambda conn: logs.read_logs(
                conn, flow_run_id, task_run_id=task_run_id, after_id=after_id, limit=limit
            )
        )

    def read_edges(self, flow_run_id: str) -> list[tuple[str, str]]:
        return self._read(lambda conn: taskruns.read_edges(conn, flow_run_id))

    def read_cache(self, cache_key: str, now: datetime) -> ResultRef | None:
        return self._read(lambda conn: cache.read_cache(conn, cache_key, now))

    def write_cache(self, cache_key: str, result: ResultRef, expires: datetime | None) -> None:
        self._check_open()
        self.service.write_cache(cache_key, result, expires)

    def register_worker(
        self,
        name: str,
        queues: Sequence[str],
        *,
        pid: int | None = None,
        host: str | None = None,
    ) -> WorkerRecord:
        self._check_open()
        return self.leases.register_worker(name, queues, self.clock.now(), pid=pid, host=host)

    def worker_heartbeat(self, worker_id: str, *, status: str = "online") -> None:
        self._check_open()
        self.leases.worker_heartbeat(worker_id, self.clock.now(), status)

    def list_workers(self) -> list[WorkerRecord]:
        self._check_open()
        return self.leases.list_workers()

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
        self._check_open()
        return self.leases.claim_waiting(
            worker_id, queues, limit, self.clock, lease_seconds, wait_seconds, start=start
        )

    def heartbeat_lease(
        self, flow_run_id: str, worker_id: str, epoch: int, *, lease_seconds: float
    ) -> datetime:
        self._check_open()
        return self.leases.heartbeat_lease(
            flow_run_id, worker_id, epoch, self.clock.now(), lease_seconds
        )

    def heartbeat_leases(
        self, worker_id: str, held: Sequence[tuple[str, int]], *, lease_seconds: float
    ) -> list[str]:
        self._check_open()
        return self.leases.heartbeat_leases(worker_id, held, self.clock.now(), lease_seconds)

    def pause_flow_run(
        self, flow_run_id: str, request: PauseRequest, *, epoch: int | None = None
    ) -> FlowRunRecord:
        self._check_open()
        return self.pauses.pause_flow_run(flow_run_id, request, self.clock.now(), epoch=epoch)

    def resume_flow_run(
        self, flow_run_id: str, run_input: Any = None, *, key: str | None = None
    ) -> FlowRunRecord:
        self._check_open()
        return self.pauses.resume_flow_run(flow_run_id, run_input, self.clock.now(), key=key)

    def expire_pause(
        self, flow_run_id: str, key: str, *, epoch: int | None = None
    ) -> RunInputRecord:
        self._check_open()
        return self.pauses.expire_pause(flow_run_id, key, self.clock.now(), epoch=epoch)

    def read_run_input(self, flow_run_id: str, key: str | None = None) -> RunInputRecord | None:
        self._check_open()
        return self.pauses.read_run_input(flow_run_id, key)

    def limited_tags(self) -> frozenset[str]:
        self._check_open()
        return self.task_slots.limited_tags()

    def acquire_task_slots(
        self,
        task_run_id: str,
        flow_run_id: str,
        tags: Sequence[str],
        *,
        lease_seconds: float,
        wait_seconds: float = 0.0,
    ) -> TaskSlotGrant:
        self._check_open()
        return self.task_slots.acquire(task_run_id, flow_run_id, tags,
                                       lease_seconds=lease_seconds, wait_seconds=wait_seconds)

    def renew_task_slots(self, task_run_ids: Sequence[str], *, lease_seconds: float) -> int:
        self._check_open()
        return self.task_slots.renew(task_run_ids, lease_seconds=lease_seconds)

    def release_task_slots(self, task_run_id: str) -> None:
        self._check_open()
        self.task_slots.release(task_run_id)

    def emit_event(self, event: NewEvent) -> EventRecord:
        self._check_open()
        return self.service.emit_event(event)

    def list_events(
        self,
        *,
        name: str | None = None,
        prefix: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[EventRecord]:
        _check_page(limit, offset, "list_events")
        return self._read(
            lambda conn: event_log.list_events(
                conn, name=name, prefix=prefix, since=since, until=until, limit=limit,
                offset=offset,
            )
        )

    # -- workflow synchronization (core.sync.SyncLeases) ----------------------------------
    def acquire_sync(self, kind: str, name: str, holder_id: str, flow_run_id: str, *,
                     default_limit: int = 1,
                     lease_seconds: float = DEFAULT_SYNC_LEASE_SECONDS) -> SyncGrant:
        self._check_open()
        return sync.acquire(self.db, kind, name, holder_id, flow_run_id, now=self.clock.now(),
                            default_limit=default_limit, lease_seconds=lease_seconds)

    def renew_sync(self, holder_ids: list[str], *,
                   lease_seconds: float = DEFAULT_SYNC_LEASE_SECONDS) -> int:
        self._check_open()
        return sync.renew(self.db, holder_ids, now=self.clock.now(), lease_seconds=lease_seconds)

    def release_sync(self, holder_id: str) -> None:
        self._check_open()
        sync.release(self.db, holder_id)

    def read_secret(self, name: str) -> str:
        self._check_open()
        return self.vault.read_secret(name)

    def write_secret(self, name: str, value: str, *, overwrite: bool = True) -> SecretInfo:
        self._check_open()
        return self.vault.write_secret(name, value, overwrite=overwrite)

    def read_secret_info(self, name: str) -> SecretInfo:
        self._check_open()
        return self.vault.read_secret_info(name)

    def list_secrets(self, *, limit: int = 500, offset: int = 0) -> list[SecretInfo]:
        self._check_open()
        return self.vault.list_secrets(limit=limit, offset=offset)

    def delete_secret(self, name: str) -> None:
        self._check_open()
        self.vault.delete_secret(name)

    def read_variable(self, name: str) -> VariableRecord:
        self._check_open()
        return self.vault.read_variable(name)

    def write_variable(self, name: str, value: Any, *, overwrite: bool = True) -> VariableRecord:
        self._check_open()
        return self.vault.write_variable(name, value, overwrite=overwrite)

    def list_variables(self, *, limit: int = 500, offset: int = 0) -> list[VariableRecord]:
        self._check_open()
        return self.vault.list_variables(limit=limit, offset=offset)

    def delete_variable(self, name: str) -> None:
        self._check_open()
        self.vault.delete_variable(name)

    def read_workflow_template(self, name: str, *,
                               cluster_scope: bool = False) -> WorkflowTemplateRecord | None:
        self._check_open()
        return workflow_templates.read_template(self.db, name, cluster_scope=cluster_scope)

    def close(self) -> None:
        self._closed = True
        self.db.dispose()


def create_local_backend(settings: Settings, *, clock: Clock = SYSTEM_CLOCK) -> LocalBackend:
    """A LocalBackend on `settings.database_url`, with the schema upgraded if needed.

    Creates the SQLite file's directory on first use. Secrets use the settings' keys.

    >>> backend = create_local_backend(Settings.from_env({"LEGATO_HOME": "/tmp/lg"}))
    """
    ensure_sqlite_directory(settings.database_url)
    db = Database(settings.database_url)
    try:
        if migrate.needs_upgrade(db):
            migrate.upgrade(db)
    except BaseException:
        db.dispose()
        raise
    return LocalBackend(db, clock=clock, keyring=Keyring.from_settings(settings))
