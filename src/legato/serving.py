"""`legato.serve(flow_a, flow_b.to_deployment(...))`: a long-lived process that deploys its
own flows and executes their runs, as Prefect's `serve` does. It talks to the server named
by `api_url` or LEGATO_API_URL; with none, it starts an embedded one on the local database
(LEGATO_HOME), so a laptop needs nothing else."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from types import FrameType
from typing import Any

from legato.client.deploy import DeployOptions, ScheduleOptions, deploy_flow
from legato.client.deployments import DeploymentsClient
from legato.client.http import HttpBackend
from legato.errors import DefinitionError
from legato.schemas.deployments import DeploymentModel
from legato.sdk.deployment_targets import FlowDeployment
from legato.sdk.flows import Flow
from legato.settings import Settings
from legato.workers.launcher import SubprocessLauncher
from legato.workers.worker import Worker

DEFAULT_QUEUE = "serve"


def serve(
    *targets: Flow[Any, Any] | FlowDeployment,
    queue: str = DEFAULT_QUEUE,
    limit: int = 4,
    api_url: str | None = None,
    poll_seconds: float = 0.5,
    stop: threading.Event | None = None,
    on_ready: Callable[[str, list[DeploymentModel]], None] | None = None,
) -> None:
    """Deploy `targets` (flows, or `flow.to_deployment(...)`) to work queue `queue` (or
    each target's own `work_queue`) and execute their runs here, each in a subprocess,
    until SIGINT/SIGTERM (or `stop` is set). A target's triggers, priority, max_active_runs
    (concurrency_limit) and timeout are deployed with it, as `legato deploy` does.

    >>> legato.serve(etl.to_deployment("nightly", cron="0 2 * * *"), report)  # doctest: +SKIP
    """
    deployments = [_as_deployment(target) for target in targets]
    if not deployments:
        raise DefinitionError("serve() got no flows; pass flows or flow.to_deployment(...).")
    settings = Settings.from_env()
    stop = stop or threading.Event()
    key = settings.api_key
    # The worker claims from every queue a target is deployed to, in the order first named.
    queues = list(dict.fromkeys(d.work_queue or queue for d in deployments))
    with _server(settings, api_url) as url, DeploymentsClient(url, api_key=key) as client:
        served = [deploy_flow(d.flow, _options(d, queue), client)[0] for d in deployments]
        backend = HttpBackend(url, api_key=key)
        try:
            worker = Worker(backend, f"serve-{socket.gethostname()}-{os.getpid()}", queues,
                            limit, SubprocessLauncher({"LEGATO_API_URL": url}),
                            poll_seconds=poll_seconds)
            (on_ready or print_ready)(url, served)
            with _stop_on_signals(stop):
                worker.run(stop)
        finally:
            backend.close()


def print_ready(url: str, served: Sequence[DeploymentModel]) -> None:
    """The default announcement: where the API is and what is served."""
    names = ", ".join(f"{d.flow_name}/{d.name}" for d in served)
    print(f"serving {names} at {url}; press Ctrl-C to stop.", flush=True)


def _as_deployment(target: object) -> FlowDeployment:
    if isinstance(target, FlowDeployment):
        return target
    if isinstance(target, Flow):
        return target.to_deployment()
    raise DefinitionError(
        f"serve() got {target!r}; pass @flow functions or flow.to_deployment(...) results."
    )


def _options(target: FlowDeployment, queue: str) -> DeployOptions:
    return DeployOptions(
        name=target.name,
        schedule=ScheduleOptions(target.cron, target.interval, target.rrule, target.timezone),
        parameters=dict(target.parameters),
        work_queue=target.work_queue or queue,
        tags=target.tags,
        paused=target.paused,
        description=target.description,
        crash_retries=target.crash_retries,
        priority=target.priority,
        max_active_runs=target.max_active_runs,
        run_timeout_seconds=target.run_timeout_seconds,
        triggers=target.triggers,
    )


@contextlib.contextmanager
def _server(settings: Settings, api_url: str | None) -> Iterator[str]:
    url = api_url or settings.api_url
    if url:
        yield url
        return
    # Imported only here: a process serving against a remote server never loads FastAPI.
    from legato.server.ephemeral import EphemeralServer

    local = dataclasses.replace(settings, api_url=None)
    with EphemeralServer(local) as server:
        yield server.url


@contextlib.contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    handled = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.signal(sig, request_stop) for sig in handled}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
