"""`legato run FILE.py:FLOW -p key=value`: run a flow in this process with live progress, then
report its final state and result. Also holds the code `runs retry` shares with it."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable
from typing import Any

import click

from legato.core.backend import Backend
from legato.errors import NotFound
from legato.sdk import runtime
from legato.workflows.flow import load_yaml_flow

from .display import live_progress
from .errors import cli_errors
from .output import FinalState, make_console, report_final
from .params import parse_params, string_parameters

StartRun = Callable[[Callable[[str], None]], Any]


def execute(start: StartRun, backend: Backend, label: str, *, as_json: bool) -> int:
    """Run `start(on_start)` to completion under the progress view; return the exit status."""
    console = make_console()
    # --json keeps stdout for the one JSON document: whatever the flow prints goes to stderr.
    quiet = contextlib.redirect_stdout(sys.stderr) if as_json else contextlib.nullcontext()
    live = console.is_terminal and not as_json
    with quiet, cli_errors(), live_progress(backend, label, console, enabled=live) as started:

        def on_start(flow_run_id: str) -> None:
            started(flow_run_id)
            if not live and not as_json:
                click.echo(f"flow run {flow_run_id} started")

        state: FinalState = start(on_start)
    return report_final(state, _flow_name(backend, state, label), as_json=as_json, console=console)


def _flow_name(backend: Backend, state: FinalState, fallback: str) -> str:
    if state.flow_run_id is None:
        return fallback
    try:
        return backend.read_flow_run(state.flow_run_id).flow_name
    except NotFound:
        return fallback


@click.command("run")
@click.argument("entrypoint", metavar="FILE.py:FLOW|FILE.yaml")
@click.option(
    "-p",
    "--param",
    "params",
    multiple=True,
    metavar="KEY=VALUE",
    help="A flow parameter; the value is read as JSON when it parses, else as a string.",
)
@click.option("--entrypoint", "template", metavar="TEMPLATE",
              help="YAML workflows: start at this template instead of spec.entrypoint.")
@click.option("--templates", "template_files", multiple=True, metavar="FILE.yaml",
              type=click.Path(dir_okay=False),
              help="YAML workflows: WorkflowTemplate files that templateRef points into.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with the outcome.")
def run_command(entrypoint: str, params: tuple[str, ...], template: str | None,
                template_files: tuple[str, ...], as_json: bool) -> None:
    """Run a flow (or an Argo YAML workflow) in this process and wait for it to finish.

    Examples: legato run examples/hello.py:hello -p name=world;
    legato run examples/yaml/hello-world.yaml -p message=hi
    """
    parse_params(params)  # report -p syntax errors before loading any code
    yaml_file = entrypoint.lower().endswith((".yaml", ".yml"))
    if (template or template_files) and not yaml_file:
        raise click.UsageError("--entrypoint and --templates apply to YAML workflows only.")
    with cli_errors():
        backend = runtime.get_backend()
        if yaml_file:
            # templateRefs found in no file come from the templates registered with the
            # server (or the local store) that the backend reaches
            flow: Any = load_yaml_flow(
                os.path.abspath(entrypoint) + (f":{template}" if template else ""),
                templates=template_files, backend=backend)
        else:
            flow = runtime.load_flow(entrypoint)
        parameters = parse_params(params, string_parameters(flow.parameters))
    label = str(getattr(flow, "name", None) or entrypoint.rpartition(":")[2])
    status = execute(
        lambda on_start: runtime.run_flow(flow, parameters, on_start=on_start),
        backend,
        label,
        as_json=as_json,
    )
    sys.exit(status)
