"""`legato deploy FILE.py:FLOW --name N [--cron|--interval|--rrule] ...` and
`legato deploy --file legato.yaml`: register flows with a server as deployments."""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Any

import click
import orjson

from legato.client.deploy import DeployOptions, ScheduleOptions, default_api_url, deploy_flow
from legato.client.workflow_templates import TemplatesClient
from legato.errors import DefinitionError, ManifestError, ParameterError, UserCodeError
from legato.manifests.project import read_project
from legato.schemas.deployments import DeploymentModel
from legato.sdk import runtime
from legato.settings import Settings
from legato.workflows.cron import deployment_fields
from legato.workflows.flow import load_yaml_flow

from .deployments import api_url_option, deployment_dict, deployments_client, describe_schedule
from .errors import cli_errors
from .output import echo_json
from .params import parse_params, string_parameters


def parse_trigger_option(text: str) -> dict[str, Any]:
    """`--trigger` text as a trigger's dict form: a JSON object, or a short form
    `flow=etl`, `deployment=etl/nightly:failed,crashed`, `event=orders.*`, `asset=s3://x`.

    >>> parse_trigger_option("flow=etl:completed")
    {'flow': 'etl', 'states': ['completed']}
    """
    if text.lstrip().startswith("{"):
        try:
            found = orjson.loads(text)
        except orjson.JSONDecodeError as error:
            raise click.BadParameter(f"{text!r} is not JSON ({error}).",
                                     param_hint="'--trigger'") from None
        if not isinstance(found, dict):
            raise click.BadParameter(f"{text!r} is not a JSON object.", param_hint="'--trigger'")
        return found
    key, sep, value = text.partition("=")
    if not sep or key not in ("flow", "deployment", "event", "asset") or not value:
        raise click.BadParameter(
            f"{text!r} is not a trigger; write flow=NAME[:states], deployment=FLOW/NAME[:states], "
            "event=NAME, asset=URL or a JSON object.", param_hint="'--trigger'")
    if key == "asset":
        return {"assets": [value]}
    if key == "event":
        return {"event": value}
    name, _, states = value.partition(":")
    form: dict[str, Any] = {key: name}
    if states:
        form["states"] = [s.strip() for s in states.split(",") if s.strip()]
    return form


def _report(deployment: DeploymentModel, new: bool) -> None:
    schedules = "; ".join(describe_schedule(s) for s in deployment.schedules) or "no schedule"
    click.echo(
        f"deployment {deployment.flow_name}/{deployment.name} {'created' if new else 'updated'} "
        f"({deployment.id}): {schedules}{', paused' if deployment.paused else ''}"
    )


@click.command("deploy")
@click.argument("entrypoint", metavar="FILE.py:FLOW|FILE.yaml", required=False)
@click.option("--name", default=None, help="The deployment's name (unique per flow).")
@click.option("--cron", default=None, metavar="EXPR", help="Cron schedule, e.g. '0 * * * *'.")
@click.option("--interval", type=click.IntRange(1), default=None, metavar="SECONDS",
              help="Run every SECONDS of elapsed time.")
@click.option("--rrule", default=None, metavar="TEXT", help="iCalendar RRULE schedule.")
@click.option("--timezone", default="UTC", show_default=True, help="IANA zone of the schedule.")
@click.option("-p", "--param", "params", multiple=True, metavar="KEY=VALUE",
              help="A default parameter; checked against the flow before anything is sent.")
@click.option("--queue", "work_queue", default="default", show_default=True,
              help="Work queue whose workers run it.")
@click.option("--tag", "tags", multiple=True, help="A tag (repeatable).")
@click.option("--crash-retries", type=click.IntRange(0, 100), default=0, show_default=True,
              help="How often a run whose worker died is rescheduled.")
@click.option("--priority", type=click.IntRange(-1_000_000, 1_000_000), default=0,
              show_default=True, help="Claim priority of its runs in their queue (higher first).")
@click.option("--max-active-runs", type=click.IntRange(1), default=None, metavar="N",
              help="At most N of its runs going at once; the rest wait SCHEDULED.")
@click.option("--timeout", "run_timeout_seconds", type=click.FloatRange(min=0, min_open=True),
              default=None, metavar="SECONDS",
              help="A run going longer is stopped and ends FAILED 'timed out after N s'.")
@click.option("--paused", is_flag=True, help="Create it paused: schedules make no runs yet.")
@click.option("--trigger", "trigger_texts", multiple=True, metavar="TRIGGER",
              help="Run it when ...: flow=NAME[:states], deployment=FLOW/NAME[:states], "
                   "event=NAME, asset=URL, or a JSON object (repeatable; replaces its triggers).")
@click.option("--file", "project_file", default=None, metavar="legato.yaml",
              help="Deploy every deployment listed in a project file instead.")
@click.option("--json", "as_json", is_flag=True, help="Print the deployment(s) as JSON.")
@api_url_option
def deploy_command(
    entrypoint: str | None, name: str | None, cron: str | None, interval: int | None,
    rrule: str | None, timezone: str, params: tuple[str, ...], work_queue: str,
    tags: tuple[str, ...], crash_retries: int, priority: int, max_active_runs: int | None,
    run_timeout_seconds: float | None, paused: bool, trigger_texts: tuple[str, ...],
    project_file: str | None, as_json: bool, api_url: str | None,
) -> None:
    """Deploy a flow to a server, or every deployment of a project file. An Argo YAML file
    deploys its Workflow (named after it unless --name is given); a CronWorkflow brings its
    schedules, timezone, concurrencyPolicy and startingDeadlineSeconds.

    Example: legato deploy examples/hello.py:hello --name hourly --cron "0 * * * *"
    """
    if project_file is not None:
        if entrypoint is not None:
            raise click.UsageError("give FILE.py:FLOW or --file, not both.")
        _deploy_project(project_file, api_url, as_json)
        return
    yaml_file = entrypoint is not None and entrypoint.lower().endswith((".yaml", ".yml"))
    if entrypoint is None or (name is None and not yaml_file):
        raise click.UsageError("give FILE.py:FLOW and --name (or --file legato.yaml).")
    parse_params(params)  # report -p syntax errors before loading any code
    extra: dict[str, Any] = {}
    with cli_errors():
        if yaml_file:
            # templateRefs found in no file come from the server's registered templates, and
            # are pinned into the deployment's flow version with their version
            with TemplatesClient(default_api_url(api_url),
                                 api_key=Settings.from_env().api_key) as registered:
                flow: Any = load_yaml_flow(os.path.abspath(entrypoint), backend=registered)
            extra = deployment_fields(flow.manifest)
            if cron or interval or rrule:
                extra.pop("schedules", None)  # flags given on the command line win
            if paused:
                extra.pop("paused", None)
            if max_active_runs is not None:
                extra.pop("max_active_runs", None)
        else:
            flow = runtime.load_flow(entrypoint)
    options = DeployOptions(
        name=name or flow.name, schedule=ScheduleOptions(cron, interval, rrule, timezone),
        work_queue=work_queue, tags=tags, paused=paused, crash_retries=crash_retries,
        priority=priority, max_active_runs=max_active_runs,
        run_timeout_seconds=run_timeout_seconds, extra_fields=extra,
        triggers=tuple(parse_trigger_option(t) for t in trigger_texts) or None,
    )
    options = replace(options, parameters=parse_params(params, string_parameters(flow.parameters)))
    with deployments_client(api_url) as client:
        deployment, new = deploy_flow(flow, options, client)
    if as_json:
        echo_json(deployment_dict(deployment))
    else:
        _report(deployment, new)


def _deploy_project(path: str, api_url: str | None, as_json: bool) -> None:
    with cli_errors():
        entries = read_project(path)
    results = []
    with deployments_client(api_url) as client:
        for entry in entries:
            options = DeployOptions(
                name=entry.name,
                schedule=ScheduleOptions(entry.cron, entry.interval, entry.rrule, entry.timezone),
                parameters=entry.parameters, work_queue=entry.work_queue, tags=entry.tags,
                paused=entry.paused, description=entry.description,
                crash_retries=entry.crash_retries, priority=entry.priority,
                max_active_runs=entry.max_active_runs,
                run_timeout_seconds=entry.run_timeout_seconds, triggers=entry.triggers,
            )
            try:
                flow = runtime.load_flow(entry.entrypoint)
                results.append(deploy_flow(flow, options, client))
            except (UserCodeError, ParameterError, DefinitionError) as error:
                raise ManifestError(f"{entry.where}: {error}") from error
    if as_json:
        echo_json([deployment_dict(deployment) for deployment, _ in results])
    else:
        for deployment, new in results:
            _report(deployment, new)
