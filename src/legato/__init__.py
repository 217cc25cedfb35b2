"""Legato: durable workflow orchestration for Python flows and Argo-style YAML.

    from legato import flow, task

    @task(retries=2)
    def double(x: int) -> int:
        return 2 * x

    @flow
    def pipeline(n: int = 3) -> int:
        return sum(double.map(range(n)).result())
"""

from typing import Any

from legato.engine.futures import LegatoFuture, LegatoFutureList
from legato.engine.inputs import allow_failure, quote, unmapped
from legato.engine.run_logging import get_run_logger
from legato.engine.states import State
from legato.sdk.artifacts import (
    create_link_artifact,
    create_markdown_artifact,
    create_table_artifact,
)
from legato.sdk.events import emit_event
from legato.sdk.flows import Flow, flow
from legato.sdk.pauses import pause_flow_run, suspend_flow_run
from legato.sdk.runtime import retry_flow_run
from legato.sdk.tasks import Task, task
from legato.sdk.vault import Secret, Variable

__version__ = "0.1.0"


def serve(*targets: Any, **options: Any) -> None:
    """Deploy flows (or `flow.to_deployment(...)`) and execute their runs in this process
    until Ctrl-C, as Prefect's `serve` does; see `legato.serving.serve` for the options.

    >>> serve(etl.to_deployment("nightly", cron="0 2 * * *"), report)  # doctest: +SKIP
    """
    # Loaded on call: serving pulls in the HTTP client, the worker and maybe a server.
    from legato.serving import serve as serve_flows

    serve_flows(*targets, **options)

__all__ = [
    "Flow",
    "LegatoFuture",
    "LegatoFutureList",
    "Secret",
    "State",
    "Task",
    "Variable",
    "__version__",
    "allow_failure",
    "create_link_artifact",
    "create_markdown_artifact",
    "create_table_artifact",
    "emit_event",
    "flow",
    "get_run_logger",
    "pause_flow_run",
    "quote",
    "retry_flow_run",
    "serve",
    "suspend_flow_run",
    "task",
    "unmapped",
]
