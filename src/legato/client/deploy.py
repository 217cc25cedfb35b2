"""Deploying a flow to a server: check its default parameters with the flow's own validation,
then create the deployment (or update the one with that name) with the flow's source pinned.
Used by `legato deploy`, project files and `Flow.deploy`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from legato.client.deployments import DeploymentsClient, build_body
from legato.core.triggers import parse_trigger
from legato.errors import ConfigError, DefinitionError
from legato.schemas.deployments import (
    DeploymentCreateBody,
    DeploymentModel,
    DeploymentUpdateBody,
    ScheduleBody,
)
from legato.sdk.deployment_targets import active_runs_limit, trigger_list
from legato.sdk.flows import Flow
from legato.settings import Settings
from legato.workflows.flow import YamlFlow


@dataclass(frozen=True)
class ScheduleOptions:
    """At most one of cron, interval (seconds) or rrule, in `timezone`."""

    cron: str | None = None
    interval: int | None = None
    rrule: str | None = None
    timezone: str = "UTC"

    def bodies(self, where: str) -> list[ScheduleBody]:
        given = {k: v for k, v in (("cron", self.cron), ("interval", self.interval),
                                   ("rrule", self.rrule)) if v is not None}
        if len(given) > 1:
            raise DefinitionError(
                f"{where} got {' and '.join(given)}; give one schedule kind per deployment "
                "(or none for runs on demand)."
            )
        if not given:
            return []
        return [build_body(ScheduleBody, f"schedule of {where}", **given, timezone=self.timezone)]


@dataclass(frozen=True)
class DeployOptions:
    """What `deploy_flow` sends besides the flow itself."""

    name: str
    schedule: ScheduleOptions = field(default_factory=ScheduleOptions)
    parameters: Mapping[str, Any] = field(default_factory=dict)
    work_queue: str = "default"
    tags: tuple[str, ...] = ()
    paused: bool = False
    description: str | None = None
    crash_retries: int = 0
    priority: int = 0
    max_active_runs: int | None = None
    run_timeout_seconds: float | None = None
    # Further body fields a front-end implies (a CronWorkflow's schedules and policies).
    extra_fields: Mapping[str, Any] = field(default_factory=dict)
    # None leaves the deployment's triggers as they are; a list (even empty) replaces them.
    triggers: tuple[Mapping[str, Any], ...] | None = None


def default_api_url(api_url: str | None = None) -> str:
    """The server to deploy to: `api_url`, else LEGATO_API_URL, else the local default."""
    if api_url:
        return api_url
    settings = Settings.from_env()
    return settings.api_url or f"http://{settings.server_host}:{settings.server_port}"


def deploy_flow(
    flow: Flow[Any, Any] | YamlFlow, options: DeployOptions, client: DeploymentsClient
) -> tuple[DeploymentModel, bool]:
    """Create or update the deployment; return it and whether it is new.

    >>> deploy_flow(hello, DeployOptions("daily", ScheduleOptions(cron="@daily")), client)
    """
    if not isinstance(flow, (Flow, YamlFlow)):
        raise DefinitionError(f"deploy got {flow!r}, which is not a @flow; deploy a flow.")
    where = f"deployment {options.name!r} of flow {flow.name!r}"
    # The client has the flow's code, so it validates with full fidelity before sending.
    # Required parameters may be left to each run (run-now is checked against the schema).
    given = dict(options.parameters)
    values = (flow.schema.validate(given, partial=True) if flow.should_validate_parameters
              else given)
    parameters = flow.schema.to_json(
        {k: v for k, v in values.items() if k in options.parameters}, strict=True
    )
    spec = flow.spec()
    if not spec.entrypoint:
        raise DefinitionError(
            f"flow {flow.name!r} has no entrypoint (it was defined interactively); define it "
            "in a file and deploy it from there."
        )
    fields: dict[str, Any] = {
        "entrypoint": spec.entrypoint,
        "parameters": parameters,
        "parameter_schema": flow.parameters,
        "schedules": options.schedule.bodies(where),
        "tags": tuple(options.tags),
        "work_queue": options.work_queue,
        "paused": options.paused,
        "crash_retries": options.crash_retries,
        "priority": options.priority,
        "max_active_runs": options.max_active_runs,
        "run_timeout_seconds": options.run_timeout_seconds,
        "description": options.description or flow.description,
        "version": flow.version,
    }
    fields.update(options.extra_fields)
    if spec.source:
        fields["source"], fields["source_hash"] = spec.source, spec.source_hash
    create = build_body(
        DeploymentCreateBody, where, flow_name=flow.name, name=options.name, **fields
    )
    triggers = None
    if options.triggers is not None:
        triggers = [parse_trigger(dict(t), f"{where} triggers.{i}").to_dict()
                    for i, t in enumerate(options.triggers)]
    existing = client.find(flow.name, options.name)
    if existing is not None:
        body = build_body(DeploymentUpdateBody, where, **fields)
        deployment, new = client.update(existing.id, body), False
    else:
        deployment, new = client.create(create), True
    if triggers is not None:
        client.put_triggers(deployment.id, triggers)
    return deployment, new


def deploy(
    flow: Flow[Any, Any],
    name: str,
    *,
    cron: str | None = None,
    interval: int | None = None,
    rrule: str | None = None,
    timezone: str = "UTC",
    parameters: Mapping[str, Any] | None = None,
    work_queue: str = "default",
    tags: Iterable[str] = (),
    paused: bool = False,
    crash_retries: int = 0,
    priority: int = 0,
    max_active_runs: int | None = None,
    run_timeout_seconds: float | None = None,
    api_url: str | None = None,
    triggers: Iterable[Mapping[str, Any]] | None = None,
    concurrency_limit: int | None = None,
    description: str | None = None,
) -> DeploymentModel:
    """Deploy `flow` to the server at `api_url` (default LEGATO_API_URL); return the deployment.
    The options are those of `legato deploy`; `concurrency_limit` is another name for
    `max_active_runs`.

    >>> deploy(hello, "every-minute", cron="* * * * *", parameters={"name": "Ada"})
    """
    if isinstance(tags, str):
        raise ConfigError(f"deploy got tags={tags!r}; pass a list of tags such as ['etl'].")
    where = f"deployment {name!r} of flow {getattr(flow, 'name', flow)!r}"
    max_active_runs = active_runs_limit(where, max_active_runs, concurrency_limit)
    found_triggers = trigger_list(where, triggers)
    options = DeployOptions(
        name=name,
        schedule=ScheduleOptions(cron, interval, rrule, timezone),
        parameters=dict(parameters or {}),
        work_queue=work_queue,
        tags=tuple(tags),
        paused=paused,
        crash_retries=crash_retries,
        priority=priority,
        max_active_runs=max_active_runs,
        run_timeout_seconds=run_timeout_seconds,
        description=description,
        triggers=found_triggers,
    )
    api_key = Settings.from_env().api_key
    with DeploymentsClient(default_api_url(api_url), api_key=api_key) as client:
        deployment, _ = deploy_flow(flow, options, client)
    return deployment
