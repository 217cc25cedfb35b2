"""Routes for the task result cache: read an entry as of a time, store or replace one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import AwareDatetime

from legato.schemas.api import CacheEntryModel, CacheWriteBody
from legato.schemas.fields import MAX_KEY
from legato.schemas.records import ResultRefModel
from legato.server.params import BackendDep

router = APIRouter(tags=["cache"])


@router.get("/cache-entries", response_model=CacheEntryModel)
def read_cache(
    backend: BackendDep,
    key: Annotated[str, Query(min_length=1, max_length=MAX_KEY)],
    now: Annotated[AwareDatetime, Query(description="Entries expired at this time are misses.")],
) -> CacheEntryModel:
    """The cached result for `key`; `result` is null when missing or expired at `now`."""
    ref = backend.read_cache(key, now)
    return CacheEntryModel(result=None if ref is None else ResultRefModel.from_record(ref))


@router.post("/cache-entries", status_code=204)
def write_cache(body: CacheWriteBody, backend: BackendDep) -> Response:
    """Store (or replace) the cached result for a key."""
    backend.write_cache(body.key, body.result.to_record(), body.expires)
    return Response(status_code=204)
