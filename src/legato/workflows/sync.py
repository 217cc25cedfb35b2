"""`synchronization` of YAML steps: a mutex admits one step at a time, a semaphore as many as
its limit. Held in this process (a local run executes its whole workflow here); across
processes the deployment's concurrency limits are the tool."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator, Mapping
from typing import Any

from legato.manifests.argo.model import Synchronization
from legato.manifests.argo.templating import substitute

_lock = threading.Lock()
_gates: dict[str, threading.BoundedSemaphore] = {}
# A semaphore's limit lives in a Kubernetes ConfigMap in Argo; locally it is read from
# LEGATO_SEMAPHORE_<NAME>_<KEY> (upper-cased, '-' as '_') and defaults to 1.
ENV_PREFIX = "LEGATO_SEMAPHORE_"


def _gate(name: str, limit: int) -> threading.BoundedSemaphore:
    with _lock:
        gate = _gates.get(name)
        if gate is None:
            gate = _gates[name] = threading.BoundedSemaphore(max(limit, 1))
        return gate


def semaphore_limit(raw: Mapping[str, Any], env: Mapping[str, str] | None = None) -> tuple[str, int]:
    """The name and limit of an Argo semaphore reference."""
    env = os.environ if env is None else env
    ref = raw.get("configMapKeyRef") or {}
    name = f"{ref.get('name', 'semaphore')}/{ref.get('key', 'default')}"
    variable = ENV_PREFIX + name.replace("/", "_").replace("-", "_").upper()
    try:
        return name, int(env.get(variable, "1"))
    except ValueError:
        return name, 1


class Synchronizer:
    """Takes the mutexes and semaphores a template asks for, in a fixed order."""

    @contextlib.contextmanager
    def hold(self, sync: Synchronization | None, scope: Mapping[str, Any],
             where: str) -> Iterator[None]:
        if sync is None:
            yield
            return
        gates: list[tuple[str, threading.BoundedSemaphore]] = []
        for mutex in sync.mutexes:
            name = "mutex:" + substitute(mutex, scope, f"{where} synchronization")
            gates.append((name, _gate(name, 1)))
        for raw in sync.semaphores:
            name, limit = semaphore_limit(raw)
            gates.append(("semaphore:" + name, _gate("semaphore:" + name, limit)))
        gates.sort(key=lambda pair: pair[0])  # one global order: no deadlock between steps
        with contextlib.ExitStack() as stack:
            for _, gate in gates:
                gate.acquire()
                stack.callback(gate.release)
            yield
