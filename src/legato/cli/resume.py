"""`legato runs resume RUN_ID`: resume a paused or suspended flow run, optionally giving the
input its pause point asks for (`-i field=value` or `--input JSON`)."""

from __future__ import annotations

import click
import orjson

from legato.core.states import StateType
from legato.sdk import runtime

from .errors import cli_errors
from .output import echo_json, flow_run_dict
from .params import parse_params


@click.command("resume")
@click.argument("run_id")
@click.option("-i", "--input-field", "fields", multiple=True, metavar="KEY=VALUE",
              help="One field of the input (repeatable; values are parsed as JSON when they "
                   "can be).")
@click.option("--input", "input_json", metavar="JSON",
              help="The whole input as one JSON document (for non-object inputs too).")
@click.option("--json", "as_json", is_flag=True, help="Print the flow run as one JSON object.")
def resume_command(run_id: str, fields: tuple[str, ...], input_json: str | None,
                   as_json: bool) -> None:
    """Resume a flow run paused by pause_flow_run or suspend_flow_run. A waiting run goes on
    at once; a suspended one is scheduled again for a worker on its queue.

    Example: legato runs resume 0192f3c4-... -i approved=true -i reviewer=ana
    """
    with cli_errors():
        if fields and input_json is not None:
            raise click.UsageError("give the input as -i KEY=VALUE fields or as --input JSON, "
                                   "not both.")
        value = _parse_input(input_json) if input_json is not None else (
            parse_params(fields) if fields else None)
        run = runtime.get_backend().resume_flow_run(run_id, value)
    if as_json:
        echo_json(flow_run_dict(run))
        return
    click.echo(f"flow run {run.id} is {run.state.value}")
    if run.state is StateType.SCHEDULED:
        click.echo("it was suspended: a worker on its work queue will continue it, reusing "
                   "its completed task runs.")


def _parse_input(text: str) -> object:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as error:
        raise click.BadParameter(f"is not valid JSON ({error}); quote the whole document.",
                                 param_hint="--input") from None
