"""Turning records and final states into output: JSON documents for `--json` and plain-text
lines and rich tables for people."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

import click
import orjson
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from legato.core.records import (
    FlowRunRecord,
    LogRecord,
    ResultRef,
    StateEventRecord,
    TaskRunRecord,
)
from legato.core.states import SUCCESS_STATES, StateType
from legato.engine.masking import mask, mask_json, masking_active
from legato.engine.results import HIDDEN, is_masked
from legato.errors import LegatoError

from .errors import EXIT_OK, EXIT_RUN_FAILED


class FinalState(Protocol):
    """What the CLI needs from the State object that running a flow returns."""

    @property
    def type(self) -> StateType: ...

    @property
    def message(self) -> str | None: ...

    @property
    def flow_run_id(self) -> str | None: ...

    def result(self, raise_on_failure: bool = ...) -> Any: ...


def make_console() -> Console:
    """A console for command output; when piped, wide enough that nothing is truncated."""
    console = Console()
    if not console.is_terminal:
        # Piped output goes to files and grep: columns must not be cut to a guessed 80.
        console = Console(width=10_000)
    return console


def dumps(document: Any) -> str:
    """Encode a document as compact JSON; values JSON cannot hold become their str()."""
    return orjson.dumps(document, default=str, option=orjson.OPT_NON_STR_KEYS).decode()


def echo_json(document: Any) -> None:
    click.echo(dumps(document))


def json_safe(value: Any) -> Any:
    """The value itself when JSON can hold it, else its repr.

    >>> json_safe([1, "a"]), json_safe({1, 2}) == repr({1, 2})
    ([1, 'a'], True)
    """
    try:
        orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:
        return repr(value)
    return value


def duration(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds(), 3)


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 120:
        return f"{seconds:.1f}s"
    return f"{seconds / 60:.1f}m"


def format_time(moment: datetime | None) -> str:
    return "-" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S")


def result_ref_dict(ref: ResultRef | None) -> dict[str, Any] | None:
    # Inline bytes stay out of listings: they can be large and are not text.
    if ref is None:
        return None
    shown = {"serializer": ref.serializer, "storage": ref.storage, "path": ref.path}
    if is_masked(ref):
        shown["note"] = HIDDEN
    return shown


def flow_run_dict(run: FlowRunRecord) -> dict[str, Any]:
    return {
        "id": run.id,
        "flow_name": run.flow_name,
        "name": run.name,
        "state": run.state.value,
        "state_message": run.state_message,
        "parameters": run.parameters,
        "created": run.created,
        "updated": run.updated,
        "start_time": run.start_time,
        "end_time": run.end_time,
        "duration": duration(run.start_time, run.end_time),
        "run_count": run.run_count,
        "flow_version_id": run.flow_version_id,
        "entrypoint": run.entrypoint,
        "tags": list(run.tags),
        "parent_flow_run_id": run.parent_flow_run_id,
        "result": result_ref_dict(run.result),
    }


def task_run_dict(task_run: TaskRunRecord) -> dict[str, Any]:
    return {
        "id": task_run.id,
        "task_key": task_run.task_key,
        "task_name": task_run.task_name,
        "map_index": task_run.map_index,
        "state": task_run.state.value,
        "state_message": task_run.state_message,
        "attempts": task_run.attempts,
        "created": task_run.created,
        "start_time": task_run.start_time,
        "end_time": task_run.end_time,
        "duration": duration(task_run.start_time, task_run.end_time),
        "cache_key": task_run.cache_key,
        "child_flow_run_id": task_run.child_flow_run_id,
        "result": result_ref_dict(task_run.result),
    }


def state_event_dict(event: StateEventRecord) -> dict[str, Any]:
    return {
        "id": event.id,
        "from_state": event.from_state.value if event.from_state else None,
        "to_state": event.to_state.value,
        "timestamp": event.timestamp,
        "message": event.message,
        "forced": event.forced,
    }


def log_dict(log: LogRecord) -> dict[str, Any]:
    return {
        "id": log.id,
        "task_run_id": log.task_run_id,
        "level": log.level,
        "logger": log.logger,
        "message": log.message,
        "timestamp": log.timestamp,
    }


def state_style(state: StateType) -> str:
    if state in SUCCESS_STATES:
        return "green"
    if state in (StateType.FAILED, StateType.CRASHED):
        return "red"
    if state in (StateType.RUNNING, StateType.AWAITING_RETRY):
        return "cyan"
    return "yellow"


def flow_runs_table(runs: Sequence[FlowRunRecord]) -> Table:
    table = Table(box=None, header_style="bold")
    for column in ("ID", "FLOW", "NAME", "STATE", "CREATED", "DURATION"):
        table.add_column(column, no_wrap=column == "ID")
    for run in runs:
        table.add_row(
            run.id,
            run.flow_name,
            run.name,
            f"[{state_style(run.state)}]{run.state.value}[/]",
            format_time(run.created),
            format_duration(duration(run.start_time, run.end_time)),
        )
    return table


def task_runs_table(task_runs: Sequence[TaskRunRecord]) -> Table:
    table = Table(box=None, header_style="bold")
    for column in ("TASK KEY", "STATE", "ATTEMPTS", "DURATION", "ID", "MESSAGE"):
        table.add_column(column)
    for task_run in task_runs:
        table.add_row(
            task_run.task_key,
            f"[{state_style(task_run.state)}]{task_run.state.value}[/]",
            str(task_run.attempts),
            format_duration(duration(task_run.start_time, task_run.end_time)),
            task_run.id,
            task_run.state_message or "",
        )
    return table


def final_result(state: FinalState) -> Any:
    """The run's result when it succeeded, else None; a result that cannot be read is
    reported as a string rather than failing the command."""
    if state.type not in SUCCESS_STATES:
        return None
    try:
        return state.result(raise_on_failure=False)
    except LegatoError as exc:
        return f"<result unavailable: {exc}>"


def _masked(value: Any) -> Any:
    """A JSON-safe value with registered secrets masked (tuples and non-str keys included)."""
    if not masking_active():
        return value
    return mask_json(orjson.loads(dumps(value)))


def report_final(state: FinalState, flow_name: str, *, as_json: bool, console: Console) -> int:
    """Print how a run ended and return the exit status: 0 when it succeeded, else 1."""
    result = final_result(state)
    succeeded = state.type in SUCCESS_STATES
    if as_json:
        echo_json(
            {
                "flow_run_id": state.flow_run_id,
                "flow_name": flow_name,
                "state": state.type.value,
                "message": mask(state.message) if state.message else state.message,
                "result": _masked(json_safe(result)),
            }
        )
    else:
        style = state_style(state.type)
        console.print(
            f"flow run [bold]{state.flow_run_id}[/] ({escape(flow_name)}) "
            f"finished in state [{style}]{state.type.value}[/]",
            highlight=False,
        )
        if state.message and not succeeded:
            console.print(f"message: {mask(state.message)}", markup=False, highlight=False)
        if succeeded:
            console.print(f"result: {mask(repr(result))}", markup=False, highlight=False)
        sys.stdout.flush()
    return EXIT_OK if succeeded else EXIT_RUN_FAILED
