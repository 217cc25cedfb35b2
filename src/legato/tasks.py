"""Public task API, laid out as in Prefect: `from legato.tasks import task, task_input_hash`."""

from legato.core.retry import exponential_backoff
from legato.engine.context import TaskRunContext
from legato.sdk.tasks import Task, task, task_input_hash

__all__ = ["Task", "TaskRunContext", "exponential_backoff", "task", "task_input_hash"]
