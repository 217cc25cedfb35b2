"""Liveness and readiness: /health answers while the process serves; /ready also needs the
database to answer a query (503 otherwise)."""

from __future__ import annotations

import logging

from fastapi import APIRouter

from legato.errors import BackendUnavailable
from legato.schemas.api import HealthModel
from legato.server.params import BackendDep

router = APIRouter(tags=["health"])
_log = logging.getLogger("legato.server")


@router.get("/health", response_model=HealthModel)
def health() -> HealthModel:
    """The server process is up."""
    return HealthModel(status="ok")


@router.get("/ready", response_model=HealthModel)
def ready(backend: BackendDep) -> HealthModel:
    """The server can reach its database; 503 otherwise."""
    try:
        backend.list_flow_runs(limit=1)
    except BackendUnavailable:
        raise
    except Exception as error:
        _log.exception("readiness check failed")
        raise BackendUnavailable(
            "the server's database did not answer a query; check the database and the server log."
        ) from error
    return HealthModel(status="ready")
