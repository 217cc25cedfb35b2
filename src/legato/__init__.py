"""Legato: durable workflow orchestration for Python flows and Argo-style YAML.

    from legato import flow, task

    @task(retries=2)
    def double(x: int) -> int:
        return 2 * x

    @flow
    def pipeline(n: int = 3) -> int:
        return sum(double.map(range(n)).result())
"""

from legato.engine.futures import LegatoFuture, LegatoFutureList
from legato.engine.inputs import allow_failure, quote, unmapped
from legato.engine.run_logging import get_run_logger
from legato.engine.states import State
from legato.sdk.flows import Flow, flow
from legato.sdk.pauses import pause_flow_run, suspend_flow_run
from legato.sdk.runtime import retry_flow_run
from legato.sdk.tasks import Task, task

__version__ = "0.1.0"

__all__ = [
    "Flow",
    "LegatoFuture",
    "LegatoFutureList",
    "State",
    "Task",
    "__version__",
    "allow_failure",
    "flow",
    "get_run_logger",
    "pause_flow_run",
    "quote",
    "retry_flow_run",
    "suspend_flow_run",
    "task",
    "unmapped",
]
