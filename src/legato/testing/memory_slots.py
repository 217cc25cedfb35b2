"""Task-run concurrency slots for InMemoryBackend: limits by tag set in `task_limits`,
slots held as leases in memory, with the same all-or-none and expiry rules as the store."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime, timedelta

from legato._clock import Clock, perf_seconds
from legato.core.limits import TaskSlotGrant


class InMemoryTaskSlots:
    """Mixed into InMemoryBackend, which provides `clock`, `_lock`, `_claimable`,
    `task_limits` (tag -> slot count) and `task_slots` (task run -> tags, expiry)."""

    clock: Clock
    _lock: threading.RLock
    _claimable: threading.Condition
    task_limits: dict[str, int]
    task_slots: dict[str, tuple[frozenset[str], datetime]]

    def limited_tags(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self.task_limits)

    def acquire_task_slots(self, task_run_id: str, flow_run_id: str, tags: Sequence[str], *,
                           lease_seconds: float, wait_seconds: float = 0.0) -> TaskSlotGrant:
        deadline = perf_seconds() + wait_seconds
        with self._lock:
            while True:
                grant = self._acquire(task_run_id, tags, lease_seconds)
                remaining = deadline - perf_seconds()
                if grant.acquired or remaining <= 0:
                    return grant
                self._claimable.wait(remaining)

    def _acquire(self, task_run_id: str, tags: Sequence[str],
                 lease_seconds: float) -> TaskSlotGrant:
        now = self.clock.now()
        limited = frozenset(t for t in tags if t in self.task_limits)
        if not limited:
            return TaskSlotGrant(True)
        full = tuple(sorted(
            tag for tag in limited
            if sum(1 for holder, (held, expires) in self.task_slots.items()
                   if holder != task_run_id and tag in held and expires >= now)
            >= self.task_limits[tag]))
        if full:
            return TaskSlotGrant(False, full)
        self.task_slots[task_run_id] = (limited, now + timedelta(seconds=lease_seconds))
        return TaskSlotGrant(True)

    def renew_task_slots(self, task_run_ids: Sequence[str], *, lease_seconds: float) -> int:
        with self._lock:
            now = self.clock.now()
            expires = now + timedelta(seconds=lease_seconds)
            renewed = 0
            for holder in task_run_ids:
                if holder in self.task_slots and self.task_slots[holder][1] >= now:
                    held = self.task_slots[holder][0]
                    self.task_slots[holder] = (held, expires)
                    renewed += len(held)
            return renewed

    def release_task_slots(self, task_run_id: str) -> None:
        with self._lock:
            if self.task_slots.pop(task_run_id, None) is not None:
                self._claimable.notify_all()
