"""`synchronization` of YAML workflows and templates: a mutex admits one holder at a time, a
semaphore as many as its limit. Held in the store through the backend (`core.sync.SyncLeases`)
as expiring slots renewed while held, so they hold across processes and runs and a dead holder
frees them; a backend without it (the in-memory test backend) holds them in this process."""

from __future__ import annotations

import contextlib
import os
import threading
import uuid
from collections.abc import Iterator, Mapping
from typing import Any

from legato._logging import get_logger
from legato.core.sync import DEFAULT_SYNC_LEASE_SECONDS, SyncLeases, semaphore_tag
from legato.engine.context import current_flow_run
from legato.engine.run_logging import get_run_logger
from legato.errors import CancelledRun, LegatoError
from legato.manifests.argo.model import Synchronization
from legato.manifests.argo.templating import substitute

_lock = threading.Lock()
_gates: dict[str, threading.BoundedSemaphore] = {}
# Rung when a holder in this process lets go, so waiters here ask the store again at once
# rather than at their next poll (waiters in other processes poll).
_released = threading.Condition()
# A semaphore's limit lives in a Kubernetes ConfigMap in Argo; here it is the concurrency
# limit of tag `<configmap>.<key>` (legato concurrency-limits create), else
# LEGATO_SEMAPHORE_<CONFIGMAP>_<KEY> (upper-cased, '-' and '.' as '_'), else 1.
ENV_PREFIX = "LEGATO_SEMAPHORE_"
# Waiting holders ask again after these many seconds, growing to the last.
_POLL = (0.02, 0.05, 0.1, 0.2, 0.5, 1.0)


def _log() -> Any:
    """The run's logger inside a run, else this module's (a Synchronizer used on its own)."""
    return get_run_logger() if current_flow_run() is not None else get_logger(__name__)


def _gate(name: str, limit: int) -> threading.BoundedSemaphore:
    with _lock:
        gate = _gates.get(name)
        if gate is None:
            gate = _gates[name] = threading.BoundedSemaphore(max(limit, 1))
        return gate


def semaphore_limit(raw: Mapping[str, Any], env: Mapping[str, str] | None = None) -> tuple[str, int]:
    """The concurrency-limit tag of an Argo semaphore reference and its limit from the
    environment (used when no concurrency limit of that tag is stored)."""
    env = os.environ if env is None else env
    ref = raw.get("configMapKeyRef") or {}
    name = semaphore_tag(str(ref.get("name", "semaphore")), str(ref.get("key", "default")))
    variable = ENV_PREFIX + name.replace(".", "_").replace("-", "_").upper()
    try:
        return name, int(env.get(variable, "1"))
    except ValueError:
        return name, 1


class Synchronizer:
    """Takes the mutexes and semaphores a workflow or template asks for, in one global order
    (names sorted), so two holders never wait for each other's second lock."""

    def __init__(self, lease_seconds: float = DEFAULT_SYNC_LEASE_SECONDS) -> None:
        self.lease_seconds = lease_seconds
        self.backend: SyncLeases | None = None
        self.flow_run_id = ""
        self.cancel = threading.Event()
        self._held: set[str] = set()
        self._held_lock = threading.Lock()
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    def bind(self, backend: object, flow_run_id: str, cancel: threading.Event) -> None:
        """Hold locks in the store of `backend` when it offers SyncLeases."""
        self.backend = backend if isinstance(backend, SyncLeases) else None
        self.flow_run_id = flow_run_id
        self.cancel = cancel

    @contextlib.contextmanager
    def hold(self, sync: Synchronization | None, scope: Mapping[str, Any],
             where: str) -> Iterator[None]:
        if sync is None:
            yield
            return
        wanted: list[tuple[str, str, int]] = []
        for mutex in sync.mutexes:
            wanted.append(("mutex", substitute(mutex, scope, f"{where} synchronization"), 1))
        for raw in sync.semaphores:
            wanted.append(("semaphore", *semaphore_limit(raw)))
        with contextlib.ExitStack() as stack:
            for kind, name, limit in sorted(set(wanted)):
                stack.enter_context(self._one(kind, name, limit, where))
            yield

    @contextlib.contextmanager
    def _one(self, kind: str, name: str, limit: int, where: str) -> Iterator[None]:
        backend = self.backend
        if backend is None:
            gate = _gate(f"{kind}:{name}", limit)
            gate.acquire()
            try:
                yield
            finally:
                gate.release()
            return
        holder = uuid.uuid4().hex
        attempt = 0
        while True:
            grant = backend.acquire_sync(kind, name, holder, self.flow_run_id,
                                         default_limit=limit, lease_seconds=self.lease_seconds)
            if grant.acquired:
                break
            if attempt == 0:
                _log().info("%s waits for %s %r (%d of %d held)", where, kind, name,
                                      grant.holders, grant.limit)
            with _released:
                _released.wait(_POLL[min(attempt, len(_POLL) - 1)])
            if self.cancel.is_set():
                raise CancelledRun(f"{where} was cancelled while waiting for {kind} {name!r}")
            attempt += 1
        self._track(holder)
        try:
            yield
        finally:
            with self._held_lock:
                self._held.discard(holder)
            try:
                backend.release_sync(holder)
            except LegatoError as exc:  # the lease expires on its own
                _log().warning("%s: releasing %s %r failed (%s); it frees when its lease "
                               "expires", where, kind, name, exc)
            with _released:
                _released.notify_all()

    def _track(self, holder: str) -> None:
        with self._held_lock:
            self._held.add(holder)
            if self._renewer is None:
                self._renewer = threading.Thread(target=self._renew_loop, daemon=True,
                                                 name="legato-sync-renewer")
                self._renewer.start()

    def _renew_loop(self) -> None:
        backend = self.backend
        while backend is not None and not self._stop.wait(self.lease_seconds / 3):
            with self._held_lock:
                holders = sorted(self._held)
            if not holders:
                continue
            try:
                backend.renew_sync(holders, lease_seconds=self.lease_seconds)
            except LegatoError:  # asked again at the next interval, well before expiry
                continue

    def close(self) -> None:
        """Stop renewing (every lock is released by then; a run's end frees the rest)."""
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join(timeout=5)
