"""DaskTaskRunner: run task attempts on a Dask cluster — an existing scheduler address, or
a LocalCluster started for the flow run. Install with `pip install 'legato[dask]'`.

Legato's retry policy governs attempts: every submission to Dask uses retries=0."""

from __future__ import annotations

import threading
from typing import Any

from legato.engine.task_runners import RemoteTaskRunner, run_shipped_attempt
from legato.errors import ConfigError


class DaskTaskRunner(RemoteTaskRunner):
    """Submit attempts to Dask. `address="tcp://host:8786"` connects to a running scheduler;
    without it a LocalCluster(**cluster_kwargs) starts with the flow run and stops after."""

    def __init__(self, address: str | None = None, cluster_kwargs: dict[str, Any] | None = None,
                 client_kwargs: dict[str, Any] | None = None, lifecycle_threads: int = 32) -> None:
        super().__init__(lifecycle_threads)
        self.address = address
        self.cluster_kwargs = dict(cluster_kwargs or {})
        self.client_kwargs = dict(client_kwargs or {})
        self._client: Any = None
        self._cluster: Any = None
        self._lock = threading.Lock()

    def _ensure_client(self) -> Any:
        with self._lock:
            if self._client is None:
                try:
                    from distributed import Client, LocalCluster
                except ImportError:
                    raise ConfigError(
                        "DaskTaskRunner needs dask.distributed; install it with "
                        "pip install 'legato[dask]'."
                    ) from None
                if self.address:
                    self._client = Client(self.address, **self.client_kwargs)  # type: ignore[no-untyped-call]
                else:
                    # Without a dashboard the scheduler still serves HTTP, on 8787 unless told
                    # otherwise; a free port keeps concurrent flow runs from clashing.
                    kwargs = {"processes": True, "dashboard_address": None,
                              "scheduler_kwargs": {"dashboard_address": "127.0.0.1:0"},
                              **self.cluster_kwargs}
                    self._cluster = LocalCluster(**kwargs)  # type: ignore[no-untyped-call]
                    self._client = Client(self._cluster, **self.client_kwargs)  # type: ignore[no-untyped-call]
            return self._client

    def _submit_payload(self, payload: bytes, key: str) -> Any:
        client = self._ensure_client()
        return client.submit(run_shipped_attempt, payload, key=key, pure=False, retries=0)

    def shutdown(self) -> None:
        super().shutdown()
        with self._lock:
            client, cluster = self._client, self._cluster
            self._client = self._cluster = None
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()

    def duplicate(self) -> DaskTaskRunner:
        return DaskTaskRunner(self.address, self.cluster_kwargs, self.client_kwargs)

    def __repr__(self) -> str:
        return f"DaskTaskRunner(address={self.address!r})"
