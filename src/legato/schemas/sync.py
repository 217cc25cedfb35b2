"""Wire models for YAML workflow synchronization held in the store: one attempt to take a
mutex or semaphore slot, its answer, and lease renewals (sent by the process running a
workflow)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from legato.core.sync import DEFAULT_SYNC_LEASE_SECONDS, SyncGrant
from legato.schemas.fields import MAX_INT, Id, Name
from legato.schemas.records import WireModel

LeaseSeconds = Annotated[float, Field(gt=0, le=3600)]


class SyncAcquireBody(WireModel):
    """Take one slot of a mutex or semaphore for `holder_id` (a holder of run
    `flow_run_id`) unless it is full; a semaphore without a concurrency limit of tag `name`
    allows `default_limit` holders."""

    kind: Literal["mutex", "semaphore"]
    name: Name
    holder_id: Id
    flow_run_id: Id
    default_limit: int = Field(default=1, ge=0, le=MAX_INT)
    lease_seconds: LeaseSeconds = DEFAULT_SYNC_LEASE_SECONDS


class SyncGrantModel(WireModel):
    acquired: bool
    limit: int
    holders: int

    @classmethod
    def from_grant(cls, grant: SyncGrant) -> SyncGrantModel:
        return cls(acquired=grant.acquired, limit=grant.limit, holders=grant.holders)

    def to_grant(self) -> SyncGrant:
        return SyncGrant(self.acquired, self.limit, self.holders)


class SyncRenewBody(WireModel):
    """Extend the leases of these holders."""

    holder_ids: list[Id] = Field(max_length=10_000)
    lease_seconds: LeaseSeconds = DEFAULT_SYNC_LEASE_SECONDS


class SyncRenewModel(WireModel):
    held: int
