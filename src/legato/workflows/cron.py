"""A CronWorkflow as deployment fields: its schedules in its time zone, concurrencyPolicy as a
limit on active runs, startingDeadlineSeconds as the catch-up window, `suspend` as paused."""

from __future__ import annotations

from typing import Any

from legato.errors import ManifestError
from legato.manifests.argo.model import CronWorkflow, Manifest

# Forbid and Replace both allow one active run; Replace's cancelling of the older run is
# not done locally: the new run waits for the slot instead (noted in docs/yaml-workflows.md).
_POLICIES = {"Allow": None, "Forbid": 1, "Replace": 1}


def deployment_fields(manifest: Manifest) -> dict[str, Any]:
    """Deployment body fields a manifest implies (empty for a plain Workflow)."""
    if not isinstance(manifest, CronWorkflow):
        return {}
    cron = manifest.cron
    where = f"{manifest.file}: CronWorkflow {manifest.name!r}"
    if not cron.schedules:
        raise ManifestError(f"{where} has no spec.schedules; add at least one cron schedule.")
    if cron.concurrency_policy not in _POLICIES:
        raise ManifestError(f"{where}: concurrencyPolicy {cron.concurrency_policy!r} is "
                            "unknown; use Allow, Forbid or Replace.")
    fields: dict[str, Any] = {
        "schedules": [{"cron": expr, "timezone": cron.timezone or "UTC"}
                      for expr in cron.schedules],
        "paused": bool(cron.suspend),
    }
    limit = _POLICIES[cron.concurrency_policy]
    if limit is not None:
        fields["max_active_runs"] = limit
    if cron.starting_deadline_seconds:
        fields["catchup"] = "latest"
        fields["catchup_window_seconds"] = int(cron.starting_deadline_seconds)
    return fields
