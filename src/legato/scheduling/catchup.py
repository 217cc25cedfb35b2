"""Which slots of a schedule the scheduler runs now: the missed slots up to `until`, cut by
the deployment's catch-up policy (`latest`: the newest one; `all`: those inside the window,
the newest `max_runs` of them)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from legato.core.schedules import CatchupPolicy
from legato.scheduling.slots import SlotSource

# Walking more slots than this (a minutely schedule after a week's outage) jumps straight to
# the part the policy keeps; the skipped count is then a lower bound.
SCAN_LIMIT = 5_000


@dataclass(frozen=True, slots=True)
class SlotPlan:
    """The slots to run (oldest first), how many missed slots the policy dropped, and the
    schedule's next slot after `until` (None when the schedule has ended)."""

    run: tuple[datetime, ...]
    skipped: int
    next_slot: datetime | None


def plan_slots(
    source: SlotSource,
    next_slot: datetime,
    until: datetime,
    *,
    policy: CatchupPolicy,
    window_seconds: int,
    max_runs: int,
) -> SlotPlan:
    """Plan the slots in [next_slot, until] under `policy`.

    >>> plan_slots(hourly, t0, t0 + timedelta(days=3), policy=CatchupPolicy.LATEST,
    ...            window_seconds=86400, max_runs=10).run  # the newest slot only
    """
    if next_slot > until:
        return SlotPlan((), 0, next_slot)
    keep = 1 if policy is CatchupPolicy.LATEST else max_runs
    floor = until - timedelta(seconds=window_seconds) if policy is CatchupPolicy.ALL else None
    kept: deque[datetime] = deque(maxlen=keep)
    seen = 0
    start = next_slot
    following: datetime | None = None
    while True:
        jumped = False
        for slot in source.slots_from(start):
            if slot > until:
                following = slot
                break
            seen += 1
            if floor is None or slot >= floor:
                kept.append(slot)
            if seen % SCAN_LIMIT == 0:
                target = _jump_target(source, policy, floor, until)
                if target is not None and target > slot:
                    start, jumped = target, True
                    break
        if not jumped:
            break
    return SlotPlan(tuple(kept), seen - len(kept), following)


def _jump_target(
    source: SlotSource, policy: CatchupPolicy, floor: datetime | None, until: datetime
) -> datetime | None:
    if policy is CatchupPolicy.ALL:
        return floor
    return source.lower_bound_before(until)
