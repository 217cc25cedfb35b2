"""Workers and leases as plain records: a registered worker, a run it claimed (with the lease
epoch that fences its writes), and a lease the monitor found expired."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from legato.core.records import FlowRunRecord

DEFAULT_LEASE_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class WorkerRecord:
    """A worker process known to the server; `status` is "online" or "stopped"."""

    id: str
    name: str
    queues: tuple[str, ...]
    heartbeat_at: datetime
    status: str
    pid: int | None = None
    host: str | None = None


@dataclass(frozen=True, slots=True)
class Claim:
    """A flow run a worker claimed: now PENDING, leased to it until `expires_at`.

    Every state change and write batch of the run must carry `epoch`."""

    flow_run: FlowRunRecord
    epoch: int
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class ExpiredRun:
    """What the monitor did with a run whose lease expired."""

    flow_run_id: str
    worker_name: str
    crashed: bool
    rescheduled: bool
