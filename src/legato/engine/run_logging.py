"""Run loggers: `get_run_logger()` records go to the console and, through the recorder, to
the run's stored logs; `log_prints` turns print() calls inside a run into log lines."""

from __future__ import annotations

import builtins
import logging
import sys
import threading
from collections.abc import MutableMapping
from datetime import UTC, datetime
from typing import Any

from legato.core.records import LogRow
from legato.engine.context import FlowRunContext, TaskRunContext, current_flow_run, current_task_run
from legato.engine.masking import mask, masking_active
from legato.errors import LegatoError

_setup_lock = threading.Lock()
_configured = False
_original_print = builtins.print
RUN_LOGGERS = ("legato.runs.flow", "legato.runs.task")


class RunLogger(logging.LoggerAdapter[logging.Logger]):
    """A logger bound to one flow run (and maybe one task run)."""

    def __init__(self, logger: logging.Logger, flow: FlowRunContext,
                 task: TaskRunContext | None) -> None:
        super().__init__(logger, {})
        self.flow = flow
        self.task = task

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, MutableMapping[str, Any]]:
        extra = kwargs.setdefault("extra", {})
        extra["legato_flow"] = self.flow
        extra["legato_task_run_id"] = self.task.task_run.id if self.task else None
        extra["legato_run_name"] = (
            self.task.task_run.task_key if self.task else self.flow.flow_run.name
        )
        return msg, kwargs

    def line(self, level: int, text: str) -> None:
        """Log one line of a program's output, as `log(level, "%s", text)` would, minus the
        caller lookup (a walk up the stack per record) that a subprocess's line has no use
        for: YAML steps send every line of their output through here."""
        logger = self.logger
        if not logger.isEnabledFor(level):
            return
        extra = {"legato_flow": self.flow,
                 "legato_task_run_id": self.task.task_run.id if self.task else None,
                 "legato_run_name": (self.task.task_run.task_key if self.task
                                     else self.flow.flow_run.name)}
        logger.handle(logger.makeRecord(logger.name, level, "(unknown file)", 0, "%s", (text,),
                                        None, "(unknown function)", extra))


class RecorderHandler(logging.Handler):
    """Sends run log records to the run's recorder."""

    def emit(self, record: logging.LogRecord) -> None:
        flow: FlowRunContext | None = getattr(record, "legato_flow", None)
        if flow is None:
            return
        try:
            message = self.format(record)
        except Exception:
            message = str(record.msg)
        flow.recorder.log(LogRow(
            flow.flow_run.id, getattr(record, "legato_task_run_id", None), record.levelno,
            record.name, mask(message), datetime.fromtimestamp(record.created, UTC),
        ))


class MaskSecrets(logging.Filter):
    """Masks loaded secret values in run log records where they are made, so that every
    handler (ours, the root logger's, a worker's) sees the masked text."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not masking_active():
            return True
        try:
            message = record.getMessage()
        except Exception:  # a bad format string is left for the handler to report
            return True
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = mask(logging.Formatter().formatException(record.exc_info))
        return True


_MASK_FILTER = MaskSecrets()


class _ConsoleFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        name = getattr(record, "legato_run_name", None)
        prefix = f"{name} | " if name else ""
        record.legato_prefix = prefix
        return mask(super().format(record))


def configure() -> None:
    """Attach Legato's handlers once per process (on the first run, never at import)."""
    global _configured
    if _configured:
        return
    with _setup_lock:
        if _configured:
            return
        runs = logging.getLogger("legato.runs")
        # Filters run only on the logger a record is made on, not on its parents.
        for name in RUN_LOGGERS:
            logging.getLogger(name).addFilter(_MASK_FILTER)
        runs.setLevel(logging.DEBUG)
        store_handler = RecorderHandler()
        store_handler.setFormatter(logging.Formatter("%(message)s"))
        runs.addHandler(store_handler)
        root_legato = logging.getLogger("legato")
        if not root_legato.handlers and not logging.getLogger().handlers:
            console = logging.StreamHandler(sys.stderr)
            console.setFormatter(_ConsoleFormatter(
                "%(asctime)s.%(msecs)03d | %(levelname)-7s | %(legato_prefix)s%(message)s",
                "%H:%M:%S",
            ))
            console.setLevel(logging.INFO)
            root_legato.addHandler(console)
        _configured = True


def get_run_logger() -> RunLogger:
    """The logger of the current flow run or task run.

    Use it inside a @flow or @task function: `get_run_logger().info("loaded %d rows", n)`."""
    flow = current_flow_run()
    if flow is None:
        raise LegatoError(
            "get_run_logger() was called outside a flow or task run; call it inside a @flow "
            "or @task function, or use logging.getLogger() elsewhere."
        )
    task = current_task_run()
    if task is not None and task.flow is not flow:
        task = None
    name = "legato.runs.task" if task else "legato.runs.flow"
    return RunLogger(logging.getLogger(name), flow, task)


def _print(*args: Any, sep: str | None = " ", end: str | None = "\n", file: Any = None,
           flush: bool = False) -> None:
    flow = current_flow_run()
    if flow is not None and (file is None or file is sys.stdout):
        task = current_task_run()
        capture = task.log_prints if task is not None else flow.log_prints
        if capture:
            text = (sep if sep is not None else " ").join(str(a) for a in args)
            get_run_logger().info(text, extra={"legato_print": True})
            return
    _original_print(*args, sep=sep, end=end, file=file, flush=flush)


def enable_print_capture() -> None:
    """Route print() inside runs with log_prints=True to their logger (idempotent)."""
    if builtins.print is not _print:
        builtins.print = _print
