"""The Synchronizer against a backend holding locks in a store (here a fake one): the order
locks are taken in, renewal while held, release, and giving up when the run is cancelled."""

from __future__ import annotations

import threading

import pytest

from legato.core.sync import SyncGrant, SyncLeases
from legato.errors import CancelledRun
from legato.manifests.argo.model import Synchronization
from legato.workflows.sync import Synchronizer


class FakeLeases:
    """Grants a lock unless `refuse` names it; records every call."""

    def __init__(self, refuse: frozenset[str] = frozenset()) -> None:
        self.refuse = refuse
        self.calls: list[tuple[str, ...]] = []
        self.renewed = threading.Event()

    def acquire_sync(self, kind: str, name: str, holder_id: str, flow_run_id: str, *,
                     default_limit: int = 1, lease_seconds: float = 30.0) -> SyncGrant:
        self.calls.append(("acquire", kind, name, flow_run_id, str(default_limit)))
        return SyncGrant(name not in self.refuse, default_limit, 1)

    def renew_sync(self, holder_ids: list[str], *, lease_seconds: float = 30.0) -> int:
        self.calls.append(("renew", str(len(holder_ids))))
        self.renewed.set()
        return len(holder_ids)

    def release_sync(self, holder_id: str) -> None:
        self.calls.append(("release",))


def test_locks_are_taken_in_name_order_renewed_while_held_and_released() -> None:
    leases = FakeLeases()
    assert isinstance(leases, SyncLeases)
    sync = Synchronizer(lease_seconds=0.03)
    sync.bind(leases, "run-1", threading.Event())
    wanted = Synchronization(mutexes=("b-{{inputs.parameters.x}}", "a"),
                             semaphores=({"configMapKeyRef": {"name": "cfg", "key": "k"}},))
    with sync.hold(wanted, {"inputs.parameters.x": "1"}, "step"):
        assert leases.renewed.wait(5)
    sync.close()
    taken = [c[1:3] for c in leases.calls if c[0] == "acquire"]
    assert taken == [("mutex", "a"), ("mutex", "b-1"), ("semaphore", "cfg.k")]
    assert [c for c in leases.calls if c[0] == "release"] == [("release",)] * 3


def test_a_cancelled_run_stops_waiting_for_a_lock() -> None:
    leases = FakeLeases(refuse=frozenset({"busy"}))
    cancel = threading.Event()
    cancel.set()
    sync = Synchronizer()
    sync.bind(leases, "run-1", cancel)
    with (pytest.raises(CancelledRun, match="waiting for mutex 'busy'"),
          sync.hold(Synchronization(mutexes=("busy",)), {}, "step")):
        pass
    sync.close()


def test_without_store_leases_locks_are_held_in_this_process() -> None:
    sync = Synchronizer()
    sync.bind(object(), "run-1", threading.Event())
    assert sync.backend is None
    with sync.hold(Synchronization(mutexes=("local",)), {}, "step"):
        pass
