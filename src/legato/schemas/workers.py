"""Wire models for workers and leases: registration, heartbeats, claims and lease renewal."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from legato.core.workers import Claim, WorkerRecord
from legato.schemas.fields import MAX_INT, Id, Name, Timestamp
from legato.schemas.records import FlowRunModel, WireModel

MAX_QUEUES = 100
MAX_CLAIM = 1000
MAX_LEASE_SECONDS = 86_400.0
# A long-poll claim answers well within the client's request timeout.
MAX_CLAIM_WAIT_SECONDS = 20.0
Queues = list[Name]


class RegisterWorkerBody(WireModel):
    """A worker announcing itself; registering a known name again keeps its id."""

    name: Name
    queues: Queues = Field(min_length=1, max_length=MAX_QUEUES)
    pid: int | None = Field(default=None, ge=0, le=MAX_INT)
    host: Name | None = None


class WorkerModel(WireModel):
    """A registered worker."""

    id: Id
    name: Name
    queues: Queues
    heartbeat_at: Timestamp
    status: Literal["online", "stopped"]
    pid: int | None = None
    host: Name | None = None

    @classmethod
    def from_record(cls, record: WorkerRecord) -> WorkerModel:
        return cls(
            id=record.id,
            name=record.name,
            queues=list(record.queues),
            heartbeat_at=record.heartbeat_at,
            status=record.status,  # type: ignore[arg-type]
            pid=record.pid,
            host=record.host,
        )

    def to_record(self) -> WorkerRecord:
        return WorkerRecord(
            self.id, self.name, tuple(self.queues), self.heartbeat_at, self.status, self.pid,
            self.host,
        )


class WorkerList(WireModel):
    """Every registered worker, by name."""

    items: list[WorkerModel]


class WorkerHeartbeatBody(WireModel):
    """A worker's sign of life; "stopped" when it leaves."""

    status: Literal["online", "stopped"] = "online"


class ClaimBody(WireModel):
    """Ask for up to `limit` due SCHEDULED runs of the given queues."""

    queues: Queues = Field(min_length=1, max_length=MAX_QUEUES)
    limit: int = Field(ge=1, le=MAX_CLAIM)
    lease_seconds: float = Field(gt=0, le=MAX_LEASE_SECONDS)
    wait_seconds: float = Field(
        default=0.0, ge=0, le=MAX_CLAIM_WAIT_SECONDS,
        description="When nothing is claimable, wait up to this long for a run (long poll).",
    )
    start: bool = Field(
        default=False,
        description="Move each claimed run on to RUNNING in the same commit (the worker "
                    "launches it at once).",
    )


class ClaimModel(WireModel):
    """A claimed run (now PENDING, or RUNNING when the claim asked to start it), the epoch
    its writes must carry and the lease expiry."""

    flow_run: FlowRunModel
    epoch: int = Field(ge=0, le=MAX_INT)
    expires_at: Timestamp

    @classmethod
    def from_record(cls, claim: Claim) -> ClaimModel:
        return cls(
            flow_run=FlowRunModel.from_record(claim.flow_run),
            epoch=claim.epoch,
            expires_at=claim.expires_at,
        )

    def to_record(self) -> Claim:
        return Claim(self.flow_run.to_record(), self.epoch, self.expires_at)


class ClaimList(WireModel):
    """The runs one claim got (possibly none)."""

    items: list[ClaimModel]


class LeaseHeartbeatBody(WireModel):
    """Renew the lease `worker_id` holds on a run at `epoch`."""

    worker_id: Id
    epoch: int = Field(ge=0, le=MAX_INT)
    lease_seconds: float = Field(gt=0, le=MAX_LEASE_SECONDS)


class LeaseModel(WireModel):
    """When a renewed lease expires."""

    expires_at: Timestamp


class HeldLeaseModel(WireModel):
    """A run a worker holds, at the epoch it claimed it."""

    flow_run_id: Id
    epoch: int = Field(ge=0, le=MAX_INT)


class LeasesHeartbeatBody(WireModel):
    """Renew every lease a worker holds in one request."""

    leases: list[HeldLeaseModel] = Field(max_length=MAX_CLAIM)
    lease_seconds: float = Field(gt=0, le=MAX_LEASE_SECONDS)


class LostLeasesModel(WireModel):
    """The runs of a heartbeat whose lease is gone (expired, ended, or re-claimed)."""

    lost: list[Id]
