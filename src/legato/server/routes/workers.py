"""Routes for workers and leases: register, heartbeat and list workers; claim runs; renew
the lease on a claimed run (409 stale-epoch once the worker lost it), or every lease a
worker holds at once."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from legato.schemas.fields import ID_PATTERN, MAX_ID
from legato.schemas.workers import (
    ClaimBody,
    ClaimList,
    ClaimModel,
    LeaseHeartbeatBody,
    LeaseModel,
    LeasesHeartbeatBody,
    LostLeasesModel,
    RegisterWorkerBody,
    WorkerHeartbeatBody,
    WorkerList,
    WorkerModel,
)
from legato.server.params import NOT_FOUND, NOT_FOUND_OR_CONFLICT, BackendDep, FlowRunId

router = APIRouter(tags=["workers"])
WorkerId = Annotated[
    str, Path(pattern=ID_PATTERN, max_length=MAX_ID, description="A worker id.")
]


@router.post("/workers", response_model=WorkerModel)
def register_worker(body: RegisterWorkerBody, backend: BackendDep) -> WorkerModel:
    """Register a worker (by name: registering again keeps its id) as online."""
    record = backend.register_worker(body.name, body.queues, pid=body.pid, host=body.host)
    return WorkerModel.from_record(record)


@router.get("/workers", response_model=WorkerList)
def list_workers(backend: BackendDep) -> WorkerList:
    """Every registered worker, by name."""
    return WorkerList(items=[WorkerModel.from_record(w) for w in backend.list_workers()])


@router.post("/workers/{worker_id}/heartbeat", status_code=204, responses=NOT_FOUND)
def worker_heartbeat(worker_id: WorkerId, body: WorkerHeartbeatBody, backend: BackendDep) -> Response:
    """Record that the worker is alive (or stopped)."""
    backend.worker_heartbeat(worker_id, status=body.status)
    return Response(status_code=204)


@router.post("/workers/{worker_id}/claims", response_model=ClaimList, responses=NOT_FOUND)
def claim_flow_runs(worker_id: WorkerId, body: ClaimBody, backend: BackendDep) -> ClaimList:
    """Claim up to `limit` due SCHEDULED runs of the queues; each becomes PENDING with a lease
    (RUNNING with `start`). With `wait_seconds`, an empty claim waits that long for a run to
    become claimable."""
    claims = backend.claim_flow_runs(
        worker_id, body.queues, body.limit, lease_seconds=body.lease_seconds,
        wait_seconds=body.wait_seconds, start=body.start,
    )
    return ClaimList(items=[ClaimModel.from_record(claim) for claim in claims])


@router.post(
    "/flow-runs/{flow_run_id}/lease/heartbeat",
    response_model=LeaseModel,
    responses=NOT_FOUND_OR_CONFLICT,
)
def heartbeat_lease(
    flow_run_id: FlowRunId, body: LeaseHeartbeatBody, backend: BackendDep
) -> LeaseModel:
    """Renew a worker's lease on a run; 409 when the worker no longer holds it at that epoch."""
    expires = backend.heartbeat_lease(
        flow_run_id, body.worker_id, body.epoch, lease_seconds=body.lease_seconds
    )
    return LeaseModel(expires_at=expires)


@router.post("/workers/{worker_id}/leases/heartbeat", response_model=LostLeasesModel)
def heartbeat_leases(
    worker_id: WorkerId, body: LeasesHeartbeatBody, backend: BackendDep
) -> LostLeasesModel:
    """Renew every lease the worker holds in one request; `lost` names the runs it no longer
    holds (their lease expired, their run ended or another holder claimed them)."""
    lost = backend.heartbeat_leases(
        worker_id, [(lease.flow_run_id, lease.epoch) for lease in body.leases],
        lease_seconds=body.lease_seconds,
    )
    return LostLeasesModel(lost=lost)
