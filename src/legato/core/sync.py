"""Workflow synchronization held in the store: the keys of mutexes and semaphores, a grant's
record, and the optional `SyncLeases` part of a backend that YAML runs use so a mutex holds
across processes and runs (see ADR 0023)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from legato.errors import DefinitionError

KINDS = ("mutex", "semaphore")
# A holder that stops renewing (its process died) frees the lock after this long at most.
DEFAULT_SYNC_LEASE_SECONDS = 30.0
_MAX_KEY = 300


def sync_key(kind: str, name: str) -> str:
    """The slot key of a mutex or semaphore (kept under the column's 300 characters).

    >>> sync_key("mutex", "db")
    'sync:mutex:db'
    """
    if kind not in KINDS:
        raise DefinitionError(f"synchronization kind {kind!r} is unknown; use mutex or semaphore.")
    if not name or any(ord(c) < 32 for c in name):
        raise DefinitionError(f"{kind} name {name!r} is not usable; give it a non-empty name "
                              "without control characters.")
    key = f"sync:{kind}:{name}"
    if len(key) > _MAX_KEY:
        key = key[:_MAX_KEY - 17] + "~" + hashlib.sha256(key.encode()).hexdigest()[:16]
    return key


def semaphore_tag(config_map: str, key: str) -> str:
    """The concurrency-limit tag that gives an Argo semaphore
    (`configMapKeyRef: {name, key}`) its limit: `name.key`.

    >>> semaphore_tag("my-config", "workflow")
    'my-config.workflow'
    """
    return f"{config_map}.{key}"


@dataclass(frozen=True, slots=True)
class SyncGrant:
    """The answer to one attempt: whether the holder got the lock, and the limit and holders
    counted (the limit a semaphore got from its concurrency limit, 1 for a mutex)."""

    acquired: bool
    limit: int
    holders: int


@runtime_checkable
class SyncLeases(Protocol):
    """Mutexes and semaphores as expiring slot leases in the store. Backends that lack it
    (the in-memory test backend) leave YAML synchronization within the process."""

    def acquire_sync(self, kind: str, name: str, holder_id: str, flow_run_id: str, *,
                     default_limit: int = 1,
                     lease_seconds: float = DEFAULT_SYNC_LEASE_SECONDS) -> SyncGrant:
        """Take one slot of the mutex or semaphore for `holder_id` unless it is full (holders
        whose lease expired do not count). A semaphore's limit is the concurrency limit of tag
        `name` when one is stored, else `default_limit`. Taking a slot already held renews it."""
        ...

    def renew_sync(self, holder_ids: list[str], *,
                   lease_seconds: float = DEFAULT_SYNC_LEASE_SECONDS) -> int:
        """Extend the leases of these holders; returns how many are still held."""
        ...

    def release_sync(self, holder_id: str) -> None:
        """Free the slot of a holder (nothing happens when it is not held)."""
        ...
