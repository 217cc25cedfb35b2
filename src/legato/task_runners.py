"""Public task runners: threads (default), processes, and Dask (needs `legato[dask]`)."""

from typing import TYPE_CHECKING, Any

from legato.engine.task_runners import ProcessPoolTaskRunner, TaskRunner, ThreadPoolTaskRunner

if TYPE_CHECKING:
    from legato.integrations.dask import DaskTaskRunner

__all__ = ["DaskTaskRunner", "ProcessPoolTaskRunner", "TaskRunner", "ThreadPoolTaskRunner"]


def __getattr__(name: str) -> Any:
    # Dask is an optional integration: import it only when asked for.
    if name == "DaskTaskRunner":
        from legato.integrations.dask import DaskTaskRunner

        return DaskTaskRunner
    raise AttributeError(f"module 'legato.task_runners' has no attribute {name!r}")
