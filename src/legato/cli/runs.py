"""`legato runs ls|show|logs|cancel|retry`: read stored flow runs, their task runs, state
history and logs (following new lines until the run ends), cancel a run and resume a failed
one."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

import click
from rich.markup import escape

from legato._clock import SYSTEM_CLOCK
from legato.core.backend import Backend
from legato.core.cancel import AlreadyFinal, cancel_flow_run
from legato.core.records import FlowRunRecord, LogRecord
from legato.core.states import StateType, is_terminal
from legato.engine.results import HIDDEN, is_masked
from legato.errors import LegatoError
from legato.sdk import runtime

from .errors import cli_errors
from .output import (
    dumps,
    echo_json,
    flow_run_dict,
    flow_runs_table,
    format_duration,
    format_time,
    log_dict,
    make_console,
    state_event_dict,
    state_style,
    task_run_dict,
    task_runs_table,
)
from .run import execute

LOG_PAGE = 1000
FOLLOW_SECONDS = 0.5
# How `logs --follow` waits between polls; tests replace it so they never sleep.
follow_sleep: Callable[[float], None] = SYSTEM_CLOCK.sleep
STATE_NAMES = [state.value for state in StateType]


@click.group("runs")
def runs_group() -> None:
    """Inspect and retry flow runs."""


@runs_group.command("ls")
@click.option("--flow", "flow_name", metavar="NAME", help="Only runs of this flow.")
@click.option(
    "--state",
    "states",
    multiple=True,
    type=click.Choice(STATE_NAMES, case_sensitive=False),
    help="Only runs in this state (repeatable).",
)
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
def ls_command(flow_name: str | None, states: tuple[str, ...], limit: int, as_json: bool) -> None:
    """List flow runs, newest first.

    Example: legato runs ls --flow etl --state FAILED
    """
    with cli_errors():
        runs = runtime.get_backend().list_flow_runs(
            flow_name=flow_name,
            states=[StateType(state.upper()) for state in states] or None,
            limit=limit,
        )
    if as_json:
        echo_json([flow_run_dict(run) for run in runs])
    elif runs:
        make_console().print(flow_runs_table(runs))
    else:
        click.echo("no flow runs")


@runs_group.command("show")
@click.argument("run_id")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def show_command(run_id: str, as_json: bool) -> None:
    """Show a flow run: its fields, task runs and state history."""
    with cli_errors():
        backend = runtime.get_backend()
        run = backend.read_flow_run(run_id)
        task_runs = backend.read_task_runs(run_id)
        history = backend.read_state_events(run_id)
    if as_json:
        echo_json(
            {
                "flow_run": flow_run_dict(run),
                "task_runs": [task_run_dict(task_run) for task_run in task_runs],
                "state_history": [state_event_dict(event) for event in history],
            }
        )
        return
    console = make_console()
    fields = flow_run_dict(run)
    console.print(f"[bold]flow run {run.id}[/]", highlight=False)
    for key in ("flow_name", "name", "parameters", "created", "start_time", "end_time"):
        value = fields[key]
        if key == "parameters":
            shown = dumps(value)
        elif key.endswith(("created", "time")):
            shown = format_time(value)
        else:
            shown = value
        console.print(f"  {key:<12} {escape(str(shown))}", highlight=False)
    console.print(
        f"  {'state':<12} [{state_style(run.state)}]{run.state.value}[/]"
        f"{escape(' - ' + run.state_message) if run.state_message else ''}",
        highlight=False,
    )
    console.print(f"  {'duration':<12} {format_duration(fields['duration'])}")
    console.print(f"  {'run count':<12} {run.run_count}")
    if run.result is not None:
        console.print(f"  {'result':<12} {escape(_result_text(run))}", highlight=False)
    console.print(f"\n[bold]task runs[/] ({len(task_runs)})")
    if task_runs:
        console.print(task_runs_table(task_runs))
    console.print("\n[bold]state history[/]")
    for event in history:
        origin = event.from_state.value if event.from_state else "-"
        forced = " (forced)" if event.forced else ""
        note = f"  {event.message}" if event.message else ""
        console.print(
            f"  {format_time(event.timestamp)}  {origin} -> {event.to_state.value}{forced}"
            f"{escape(note)}",
            highlight=False,
        )


def _result_text(run: FlowRunRecord) -> str:
    """The flow run's result, shortened; or why it can't be read (never a traceback)."""
    assert run.result is not None
    if is_masked(run.result):
        return _hidden_text(run)
    try:
        value = runtime.read_result(run.result, f"of flow run {run.id}")
    except LegatoError as exc:
        return f"unavailable: {exc}"
    text = repr(value)
    return text if len(text) <= 200 else text[:197] + "..."


def _hidden_text(run: FlowRunRecord) -> str:
    """What a result stored masked shows: that it is hidden, and its masked JSON if kept."""
    assert run.result is not None
    try:
        masked = runtime.get_results().read_masked(run.result)
    except LegatoError as exc:
        return f"{HIDDEN} (masked copy unavailable: {exc})"
    if masked is None:
        return HIDDEN
    text = dumps(masked)
    return f"{HIDDEN}; masked: {text if len(text) <= 200 else text[:197] + '...'}"


@runs_group.command("logs")
@click.argument("run_id")
@click.option("--task", "task_run_id", metavar="TASK_RUN_ID", help="Only this task run's logs.")
@click.option("--follow", "-f", is_flag=True,
              help="Keep printing new lines until the run finishes.")
@click.option("--json", "as_json", is_flag=True,
              help="Print a JSON list (with --follow, one JSON object a line).")
def logs_command(run_id: str, task_run_id: str | None, follow: bool, as_json: bool) -> None:
    """Print the log lines of a flow run, oldest first.

    Example: legato runs logs 0192f3c4-... --follow
    """
    with cli_errors():
        backend = runtime.get_backend()
        backend.read_flow_run(run_id)  # an unknown id is an error, not an empty log
    if follow:
        _follow(backend, run_id, task_run_id, as_json)
        return
    with cli_errors():
        logs = _new_logs(backend, run_id, task_run_id, 0)
    if as_json:
        echo_json([log_dict(log) for log in logs])
        return
    for log in logs:
        _echo_log(log)


def _new_logs(
    backend: Backend, run_id: str, task_run_id: str | None, after_id: int
) -> list[LogRecord]:
    """Every log line after `after_id`, a page at a time."""
    logs: list[LogRecord] = []
    while True:
        page = backend.read_logs(run_id, task_run_id=task_run_id, after_id=after_id,
                                 limit=LOG_PAGE)
        logs.extend(page)
        if len(page) < LOG_PAGE:
            return logs
        after_id = page[-1].id


def _follow(backend: Backend, run_id: str, task_run_id: str | None, as_json: bool) -> None:
    """Print new lines every FOLLOW_SECONDS until the run is final, then the rest."""
    after_id = 0
    while True:
        with cli_errors():
            # Read the state first: lines written before the run ended are then all stored.
            final = is_terminal(backend.read_flow_run(run_id).state)
            logs = _new_logs(backend, run_id, task_run_id, after_id)
        for log in logs:
            if as_json:
                echo_json(log_dict(log))
            else:
                _echo_log(log)
        if logs:
            after_id = logs[-1].id
        if final:
            return
        follow_sleep(FOLLOW_SECONDS)


def _echo_log(log: LogRecord) -> None:
    level = logging.getLevelName(log.level)
    click.echo(f"{format_time(log.timestamp)} {level:<8} {log.logger} | {log.message}")


@runs_group.command("cancel")
@click.argument("run_id")
@click.option("--json", "as_json", is_flag=True, help="Print the flow run as one JSON object.")
def cancel_command(run_id: str, as_json: bool) -> None:
    """Cancel a flow run: one that has not started ends CANCELLED; a running one becomes
    CANCELLING until its worker stops it.

    Example: legato runs cancel 0192f3c4-...
    """
    with cli_errors():
        try:
            run = cancel_flow_run(runtime.get_backend(), run_id)
        except AlreadyFinal as error:  # not a usage mistake: exit 1, not 2
            raise click.ClickException(str(error)) from error
    if as_json:
        echo_json(flow_run_dict(run))
    else:
        click.echo(f"flow run {run.id} is {run.state.value}")


@runs_group.command("retry")
@click.argument("run_id")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with the outcome.")
def retry_command(run_id: str, as_json: bool) -> None:
    """Resume a FAILED, CRASHED or CANCELLED flow run; completed task runs are reused.

    Example: legato runs retry 0192f3c4-...
    """
    with cli_errors():
        backend = runtime.get_backend()
        run = backend.read_flow_run(run_id)
    status = execute(
        lambda on_start: runtime.retry_flow_run(run_id, on_start=on_start),
        backend,
        run.flow_name,
        as_json=as_json,
    )
    sys.exit(status)
