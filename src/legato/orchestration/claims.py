"""Claiming runs under limits: which runs a claim may take given work-queue pauses and
priorities, concurrency limits by tag (and "*" for every run), deployments'
max_active_runs and queues' concurrency limits. A claimed run takes one slot of each
limit that applies to it; used by LeaseService.claim_flow_runs inside its transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from legato.core.limits import (
    GLOBAL_TAG,
    WorkQueueRecord,
    deployment_key,
    queue_key,
    tag_key,
)
from legato.store import claims, slots
from legato.store import limits as limit_rows
from legato.store.database import Connection

DEPLOYMENT_PREFIX = deployment_key("")
# How many more candidates than asked for a claim reads when limits may hold some back.
HEADROOM = 4
MAX_WINDOW = 1000


@dataclass
class LimitPlan:
    """The limits a claim checks and the slots held under each key, updated as the claim
    takes runs. Pure bookkeeping: the caller reads and writes the rows."""

    tags: dict[str, int]
    queues: dict[str, int]
    deployments: dict[str, int]
    held: dict[str, int] = field(default_factory=dict)

    @property
    def limited(self) -> bool:
        """Whether any tag or queue limit applies (deployment limits show up per run)."""
        return bool(self.tags or self.queues)

    def _full(self, key: str, limit: int) -> bool:
        return self.held.get(key, 0) >= limit

    def everything_full(self) -> bool:
        """The global limit ("*") has no free slot: nothing can be claimed."""
        limit = self.tags.get(GLOBAL_TAG)
        return limit is not None and self._full(tag_key(GLOBAL_TAG), limit)

    def queue_full(self, queue: str) -> bool:
        limit = self.queues.get(queue)
        return limit is not None and self._full(queue_key(queue), limit)

    def full_tags(self) -> set[str]:
        return {tag for tag, limit in self.tags.items()
                if tag != GLOBAL_TAG and self._full(tag_key(tag), limit)}

    def full_deployments(self) -> set[str]:
        return {dep for dep, limit in self.deployments.items()
                if self._full(deployment_key(dep), limit)}

    def keys_for(self, candidate: claims.Candidate) -> list[str] | None:
        """The slot keys the run must hold, or None when one of them has no free slot."""
        wanted: dict[str, int] = {}
        if candidate.deployment_id is not None and candidate.max_active_runs is not None:
            self.deployments[candidate.deployment_id] = candidate.max_active_runs
            wanted[deployment_key(candidate.deployment_id)] = candidate.max_active_runs
        if candidate.queue in self.queues:
            wanted[queue_key(candidate.queue)] = self.queues[candidate.queue]
        for tag in (*candidate.tags, GLOBAL_TAG):
            if tag in self.tags:
                wanted[tag_key(tag)] = self.tags[tag]
        if any(self._full(key, limit) for key, limit in wanted.items()):
            return None
        return list(wanted)

    def take(self, keys: Sequence[str]) -> None:
        for key in keys:
            self.held[key] = self.held.get(key, 0) + 1


def read_plan(
    conn: Connection, stored: dict[str, WorkQueueRecord], queues: Sequence[str], now: datetime,
    outlook: claims.ClaimOutlook | None = None,
) -> LimitPlan:
    """The limits that apply to a claim of `queues` and the slots held now (not read when
    the claim's `outlook` saw no limit defined, or no slot held)."""
    queue_limits: dict[str, int] = {}
    for q in queues:
        record = stored.get(q)
        if record is not None and record.concurrency_limit is not None:
            queue_limits[q] = record.concurrency_limit
    tags = limit_rows.tag_limits(conn) if outlook is None or outlook.limits_defined else {}
    plan = LimitPlan(tags, queue_limits, {})
    if outlook is None or outlook.slots_held:
        refresh(conn, plan, now)
    return plan


def refresh(conn: Connection, plan: LimitPlan, now: datetime) -> None:
    """Re-read the slots held (after taking the claim lock) and the max_active_runs of the
    deployments holding some."""
    plan.held = slots.held_counts(conn, now)
    held_deployments = [key.removeprefix(DEPLOYMENT_PREFIX) for key in plan.held
                        if key.startswith(DEPLOYMENT_PREFIX)]
    plan.deployments.update(claims.deployment_limits(conn, held_deployments))


def pick(
    conn: Connection, queues: Sequence[str], limit: int, now: datetime,
    outlook: claims.ClaimOutlook | None = None,
) -> list[tuple[claims.Candidate, list[str]]]:
    """The runs a claim of up to `limit` takes, in claim order, with the slot keys each
    must hold. Paused queues are skipped; runs held back by a full limit stay SCHEDULED.
    The claim's `outlook`, when given, spares the reads it answered."""
    stored = (limit_rows.read_queues(conn, queues)
              if outlook is None or outlook.queues_stored else {})
    active = [q for q in dict.fromkeys(queues) if not (q in stored and stored[q].paused)]
    if not active:
        return []
    plan = read_plan(conn, stored, active, now, outlook)
    locked = plan.limited
    if locked:
        claims.lock_limited_claims(conn)
        refresh(conn, plan, now)
    if plan.everything_full():
        return []
    active = [q for q in active if not plan.queue_full(q)]
    window = limit if not (plan.limited or plan.held) else min(limit * HEADROOM + 16, MAX_WINDOW)
    found = claims.candidates(
        conn, active, window, now,
        queue_priorities={q: stored[q].priority for q in active if q in stored},
        full_deployments=plan.full_deployments(), full_tags=plan.full_tags(),
    )
    if not locked and any(c.max_active_runs is not None for c in found):
        claims.lock_limited_claims(conn)
        refresh(conn, plan, now)
    picked: list[tuple[claims.Candidate, list[str]]] = []
    for candidate in found:
        if len(picked) >= limit:
            break
        keys = plan.keys_for(candidate)
        if keys is None:
            continue
        plan.take(keys)
        picked.append((candidate, keys))
    return picked
