"""Routes for YAML workflow synchronization held in the store: take a mutex or semaphore
slot, renew held slots, release one (sent by the process running a workflow)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from legato.core.backend import Backend
from legato.core.sync import SyncLeases
from legato.errors import BackendUnavailable
from legato.schemas.fields import ID_PATTERN
from legato.schemas.sync import SyncAcquireBody, SyncGrantModel, SyncRenewBody, SyncRenewModel
from legato.server.params import BackendDep

router = APIRouter(tags=["workflows"])
HolderId = Annotated[str, Path(pattern=ID_PATTERN, description="A sync holder id.")]


def _leases(backend: Backend) -> SyncLeases:
    if not isinstance(backend, SyncLeases):
        raise BackendUnavailable(f"{backend!r} holds no workflow locks; serve a database store.")
    return backend


@router.post("/sync/acquire", response_model=SyncGrantModel)
def acquire_sync(body: SyncAcquireBody, backend: BackendDep) -> SyncGrantModel:
    """One attempt to take a slot; `acquired` is false when the mutex or semaphore is full
    (ask again later)."""
    grant = _leases(backend).acquire_sync(
        body.kind, body.name, body.holder_id, body.flow_run_id,
        default_limit=body.default_limit, lease_seconds=body.lease_seconds)
    return SyncGrantModel.from_grant(grant)


@router.post("/sync/renew", response_model=SyncRenewModel)
def renew_sync(body: SyncRenewBody, backend: BackendDep) -> SyncRenewModel:
    """Extend the leases of held slots; `held` counts those still held."""
    held = _leases(backend).renew_sync(body.holder_ids, lease_seconds=body.lease_seconds)
    return SyncRenewModel(held=held)


@router.delete("/sync/holders/{holder_id}", status_code=204)
def release_sync(holder_id: HolderId, backend: BackendDep) -> Response:
    """Free a holder's slot (nothing happens when it holds none)."""
    _leases(backend).release_sync(holder_id)
    return Response(status_code=204)
