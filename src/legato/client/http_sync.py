"""YAML workflow synchronization over the REST API, mixed into HttpBackend: take, renew
and release mutex and semaphore slots held in the server's store."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from legato.core.sync import DEFAULT_SYNC_LEASE_SECONDS, SyncGrant

# The wire models are imported by the methods that use them: only YAML workflows with a
# mutex or semaphore take slots.
if TYPE_CHECKING:
    from legato.schemas.sync import SyncAcquireBody, SyncGrantModel, SyncRenewModel


class HttpSync:
    """Mixed into HttpBackend, which provides `_post_for` and `session`."""

    _post_for: Callable[..., Any]
    session: Any

    def acquire_sync(self, kind: str, name: str, holder_id: str, flow_run_id: str, *,
                     default_limit: int = 1,
                     lease_seconds: float = DEFAULT_SYNC_LEASE_SECONDS) -> SyncGrant:
        from legato.schemas.sync import SyncAcquireBody, SyncGrantModel

        def body() -> SyncAcquireBody:
            return SyncAcquireBody(kind=kind, name=name, holder_id=holder_id,  # type: ignore[arg-type]
                                   flow_run_id=flow_run_id, default_limit=default_limit,
                                   lease_seconds=lease_seconds)

        # Taking a slot the holder already has only renews it, so a retry is harmless.
        model: SyncGrantModel = self._post_for("/sync/acquire", body, SyncGrantModel,
                                               idempotent=True, what=f"{kind} {name!r}")
        return model.to_grant()

    def renew_sync(self, holder_ids: list[str], *,
                   lease_seconds: float = DEFAULT_SYNC_LEASE_SECONDS) -> int:
        from legato.schemas.sync import SyncRenewBody, SyncRenewModel

        model: SyncRenewModel = self._post_for(
            "/sync/renew", lambda: SyncRenewBody(holder_ids=holder_ids,
                                                 lease_seconds=lease_seconds),
            SyncRenewModel, idempotent=True, what="sync lease renewal")
        return model.held

    def release_sync(self, holder_id: str) -> None:
        self.session.request("DELETE", f"/sync/holders/{quote(holder_id, safe='')}",
                             idempotent=True)
