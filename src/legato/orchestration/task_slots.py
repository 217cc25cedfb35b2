"""Task-run concurrency slots through the one door: which tags are limited, take the slots
of a task run's limited tags (all or none, waiting for a wake-up when full), renew and free
them. Used by LocalBackend, which the server's task-slot routes call too."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from legato._clock import Clock, perf_seconds
from legato.core.limits import TaskSlotGrant, check_name
from legato.errors import ParameterError
from legato.store import task_slots as store
from legato.store.database import Database

# How often a waiting acquirer looks again without a wake-up (another process writing to
# SQLite, a holder whose lease expired).
RECHECK_SECONDS = 1.0
MAX_TAGS = 100


def _check(tags: Sequence[str], lease_seconds: float) -> None:
    if not lease_seconds > 0:
        raise ParameterError(
            f"task slots got lease_seconds={lease_seconds}; give slot leases a duration in "
            "seconds greater than 0."
        )
    if len(tags) > MAX_TAGS:
        raise ParameterError(
            f"task slots were asked for {len(tags)} tags; a task run may carry at most "
            f"{MAX_TAGS}."
        )
    for tag in tags:
        check_name("task tag", tag)


class TaskSlotService:
    """Task-run slots over one store database, timed by `clock`."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def limited_tags(self) -> frozenset[str]:
        """Every tag with a concurrency limit."""
        with self.db.reading() as conn:
            return store.limited_tags(conn)

    def acquire(
        self,
        holder_id: str,
        flow_run_id: str,
        tags: Sequence[str],
        *,
        lease_seconds: float,
        wait_seconds: float = 0.0,
    ) -> TaskSlotGrant:
        """Take a slot of every limited tag in `tags` for task run `holder_id`, leased for
        `lease_seconds`; when a limit is full, wait up to `wait_seconds` (real time) for a
        slot to be freed and try again, looking again every RECHECK_SECONDS."""
        _check(tags, lease_seconds)
        deadline = perf_seconds() + max(wait_seconds, 0.0)
        while True:
            seen = self.db.doorbell.generation
            now = self.clock.now()
            with self.db.writing() as conn:
                grant = store.acquire(conn, holder_id, flow_run_id, tags, now,
                                      now + timedelta(seconds=lease_seconds))
            remaining = deadline - perf_seconds()
            if grant.acquired or remaining <= 0:
                return grant
            self.db.wait_claimable(seen, min(remaining, RECHECK_SECONDS))

    def renew(self, holder_ids: Sequence[str], *, lease_seconds: float) -> int:
        """Extend the unexpired slots of these task runs to now + lease_seconds; how many
        slot rows were extended (a holder whose slots were freed or expired has none)."""
        _check((), lease_seconds)
        now = self.clock.now()
        with self.db.writing() as conn:
            return store.renew(conn, holder_ids, now, now + timedelta(seconds=lease_seconds))

    def release(self, holder_id: str) -> None:
        """Free a task run's slots (nothing to do when it holds none)."""
        with self.db.writing() as conn:
            store.release(conn, holder_id)
