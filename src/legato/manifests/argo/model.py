"""The typed model of Argo manifests (Workflow, WorkflowTemplate, ClusterWorkflowTemplate,
CronWorkflow): frozen dataclasses that keep every node's source position. Built by
`argo.build` from loaded YAML; the YAML runtime reads only this model.

Parameter values are strings as in Argo (numbers and booleans written in YAML become their
text); fields Legato does not interpret yet stay available as raw JSON-like data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .depends import DependsExpr, dependencies_expression, parse_depends
from .problems import NO_POSITION, Position

Raw = Mapping[str, Any]

# Template fields that only matter to a pod; kept, shown and ignored when running locally.
POD_FIELDS = (
    "affinity", "annotations", "archiveLocation", "automountServiceAccountToken", "executor",
    "hostAliases", "initContainers", "metadata", "metrics", "nodeSelector", "podResources",
    "podSpecPatch", "priorityClassName", "resourceClaims", "schedulerName", "securityContext",
    "serviceAccountName", "sidecars", "tolerations", "volumes", "pendingTimeout",
)
# Template kinds Argo knows; Legato runs the first five locally.
TEMPLATE_KINDS = (
    "container", "script", "steps", "dag", "suspend", "resource", "http", "data", "plugin",
    "containerSet",
)


@dataclass(frozen=True, kw_only=True)
class ValueFrom:
    """Where an output (or suspend input) parameter's value comes from."""

    path: str | None = None
    parameter: str | None = None
    default: str | None = None
    expression: str | None = None
    json_path: str | None = None
    jq_filter: str | None = None
    event: str | None = None
    supplied: bool = False
    raw: Raw = field(default_factory=dict)
    pos: Position = NO_POSITION


@dataclass(frozen=True, kw_only=True)
class Parameter:
    """An input, output or argument parameter; values are strings as in Argo."""

    name: str
    value: str | None = None
    default: str | None = None
    enum: tuple[str, ...] = ()
    description: str | None = None
    global_name: str | None = None
    value_from: ValueFrom | None = None
    pos: Position = NO_POSITION


@dataclass(frozen=True, kw_only=True)
class Artifact:
    """An input, output or argument artifact; storage-specific fields stay in `raw`."""

    name: str
    path: str | None = None
    from_: str | None = None
    from_expression: str | None = None
    raw_data: str | None = None  # the `raw: {data: ...}` inline artifact
    s3_key: str | None = None
    optional: bool = False
    global_name: str | None = None
    mode: int | None = None
    sub_path: str | None = None
    archive: Raw | None = None
    raw: Raw = field(default_factory=dict)
    pos: Position = NO_POSITION


@dataclass(frozen=True, kw_only=True)
class Arguments:
    """`arguments:` of a workflow, step, task or hook."""

    parameters: tuple[Parameter, ...] = ()
    artifacts: tuple[Artifact, ...] = ()
    pos: Position = NO_POSITION

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)


@dataclass(frozen=True, kw_only=True)
class Inputs:
    parameters: tuple[Parameter, ...] = ()
    artifacts: tuple[Artifact, ...] = ()
    pos: Position = NO_POSITION

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)


@dataclass(frozen=True, kw_only=True)
class Outputs:
    parameters: tuple[Parameter, ...] = ()
    artifacts: tuple[Artifact, ...] = ()
    result: str | None = None
    exit_code: str | None = None
    pos: Position = NO_POSITION


@dataclass(frozen=True, kw_only=True)
class EnvVar:
    """A container environment variable; `value_from` (secrets, fields) stays raw."""

    name: str
    value: str | None = None
    value_from: Raw | None = None
    pos: Position = NO_POSITION


@dataclass(frozen=True, kw_only=True)
class Container:
    """A `container:` or `script:` body; `source` is set only for scripts."""

    image: str | None = None
    command: tuple[str, ...] = ()
    args: tuple[str, ...] = ()
    env: tuple[EnvVar, ...] = ()
    working_dir: str | None = None
    source: str | None = None
    raw: Raw = field(default_factory=dict)  # everything as written: resources, volumeMounts, ports, ...
    pos: Position = NO_POSITION


@dataclass(frozen=True, kw_only=True)
class TemplateRef:
    """`templateRef:` — a template inside a (Cluster)WorkflowTemplate."""

    name: str
    template: str
    cluster_scope: bool = False
    pos: Position = NO_POSITION


@dataclass(frozen=True, kw_only=True)
class WorkflowTemplateRef:
    """`spec.workflowTemplateRef:` — a whole workflow taken from a (Cluster)WorkflowTemplate."""

    name: str
    cluster_scope: bool = False
    pos: Position = NO_POSITION


@dataclass(frozen=True, kw_only=True)
class ContinueOn:
    error: bool = False
    failed: bool = False
    pos: Position = NO_POSITION


@dataclass(frozen=True, kw_only=True)
class Sequence:
    """`withSequence:`; numbers may still be `{{...}}` text until the run fills them in."""

    count: int | str | None = None
    start: int | str | None = None
    end: int | str | None = None
    format: str | None = None
    pos: Position = NO_POSITION


@dataclass(frozen=True, kw_only=True)
class LifecycleHook:
    """A hook run on an event (`exit`, `running`, or an `expression`)."""

    template: str | None = None
    template_ref: TemplateRef | None = None
    arguments: Arguments = field(default_factory=Arguments)
    expression: str | None = None
    pos: Position = NO_POSITION


@dataclass(frozen=True, kw_only=True)
class Backoff:
    duration: str | None = None
    factor: int | float | str | None = None
    max_duration: str | None = None
    cap: str | None = None
    pos: Position = NO_POSITION


@dataclass(frozen=True, kw_only=True)
class RetryStrategy:
    """`retryStrategy:`; `limit` may be text with a `{{...}}` variable."""

    limit: int | str | None = None
    retry_policy: str | None = None  # Always, OnFailure (the default), OnError, OnTransientError
    backoff: Backoff | None = None
    expression: str | None = None
    affinity: Raw | None = None
    pos: Position = NO_POSITION


@dataclass(frozen=True, kw_only=True)
class Memoize:
    key: str
    max_age: str | None = None
    cache_name: str | None = None  # cache.configMap.name
    pos: Position = NO_POSITION


@dataclass(frozen=True, kw_only=True)
class Synchronization:
    """Mutex and semaphore names; the singular forms of Argo 3.5 are folded in."""

    mutexes: tuple[str, ...] = ()
    semaphores: tuple[Raw, ...] = ()
    raw: Raw = field(default_factory=dict)
    pos: Position = NO_POSITION


@dataclass(frozen=True, kw_only=True)
class Suspend:
    duration: str | None = None  # None: until resumed
    pos: Position = NO_POSITION


@dataclass(frozen=True, kw_only=True)
class Step:
    """A step of a `steps:` template, or (as `DagTask`) a task of a `dag:` template."""

    name: str
    template: str | None = None
    template_ref: TemplateRef | None = None
    inline: Template | None = None
    arguments: Arguments = field(default_factory=Arguments)
    when: str | None = None
    with_items: tuple[Any, ...] | None = None
    with_param: str | None = None
    with_sequence: Sequence | None = None
    continue_on: ContinueOn | None = None
    on_exit: str | None = None
    hooks: Mapping[str, LifecycleHook] = field(default_factory=dict)
    pos: Position = NO_POSITION

    @property
    def loops(self) -> bool:
        return (self.with_items is not None or self.with_param is not None
                or self.with_sequence is not None)


@dataclass(frozen=True, kw_only=True)
class DagTask(Step):
    dependencies: tuple[str, ...] = ()
    depends: str | None = None

    def depends_expression(self, continue_on: Mapping[str, ContinueOn | None] | None = None
                           ) -> DependsExpr | None:
        """The task's `depends` parsed, or its `dependencies` as the equivalent expression
        (`continue_on` maps upstream task names to their continueOn); None when it has
        neither. Raises DependsSyntaxError on a bad expression."""
        if self.depends is not None and self.depends.strip():
            return parse_depends(self.depends)
        if self.dependencies:
            return dependencies_expression(self.dependencies, continue_on or {})
        return None


@dataclass(frozen=True, kw_only=True)
class Dag:
    tasks: tuple[DagTask, ...] = ()
    fail_fast: bool | None = None
    target: str | None = None
    pos: Position = NO_POSITION

    def task(self, name: str) -> DagTask | None:
        return next((t for t in self.tasks if t.name == name), None)


@dataclass(frozen=True, kw_only=True)
class Template:
    """One entry of `spec.templates` (or an `inline` template)."""

    name: str
    inputs: Inputs = field(default_factory=Inputs)
    outputs: Outputs = field(default_factory=Outputs)
    container: Container | None = None
    script: Container | None = None
    steps: tuple[tuple[Step, ...], ...] | None = None
    dag: Dag | None = None
    suspend: Suspend | None = None
    retry_strategy: RetryStrategy | None = None
    timeout: str | None = None
    active_deadline_seconds: int | str | None = None
    parallelism: int | str | None = None
    fail_fast: bool | None = None
    memoize: Memoize | None = None
    synchronization: Synchronization | None = None
    daemon: bool = False
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    pod_fields: Raw = field(default_factory=dict)  # see POD_FIELDS
    raw: Raw = field(default_factory=dict)
    pos: Position = NO_POSITION

    @property
    def kind(self) -> str:
        """`container`, `script`, `steps`, `dag`, `suspend`, another Argo kind, or `none`."""
        return next((k for k in TEMPLATE_KINDS if self.raw.get(k) is not None
                     or getattr(self, k, None) is not None), "none")


@dataclass(frozen=True, kw_only=True)
class Metadata:
    name: str | None = None
    generate_name: str | None = None
    namespace: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    pos: Position = NO_POSITION

    @property
    def display_name(self) -> str:
        return self.name or (self.generate_name or "workflow").rstrip("-")


@dataclass(frozen=True, kw_only=True)
class WorkflowSpec:
    """`spec:` of a Workflow or (Cluster)WorkflowTemplate, `workflowSpec:` of a CronWorkflow."""

    entrypoint: str | None = None
    arguments: Arguments = field(default_factory=Arguments)
    templates: tuple[Template, ...] = ()
    on_exit: str | None = None
    hooks: Mapping[str, LifecycleHook] = field(default_factory=dict)
    parallelism: int | None = None
    active_deadline_seconds: int | None = None
    service_account_name: str | None = None
    workflow_template_ref: WorkflowTemplateRef | None = None
    retry_strategy: RetryStrategy | None = None
    synchronization: Synchronization | None = None
    template_defaults: Raw | None = None
    ttl_strategy: Raw | None = None
    pod_gc: Raw | None = None
    volumes: tuple[Raw, ...] = ()
    volume_claim_templates: tuple[Raw, ...] = ()
    raw: Raw = field(default_factory=dict)
    pos: Position = NO_POSITION

    def template(self, name: str) -> Template | None:
        return next((t for t in self.templates if t.name == name), None)


@dataclass(frozen=True, kw_only=True)
class CronSpec:
    """The CronWorkflow part that becomes a deployment's schedules and policies."""

    schedules: tuple[str, ...] = ()
    timezone: str | None = None
    concurrency_policy: str = "Allow"  # Allow, Forbid or Replace
    starting_deadline_seconds: int | None = None
    suspend: bool = False
    successful_jobs_history_limit: int | None = None
    failed_jobs_history_limit: int | None = None
    when: str | None = None
    stop_strategy: Raw | None = None
    workflow_metadata: Raw | None = None
    pos: Position = NO_POSITION


@dataclass(frozen=True, kw_only=True)
class Manifest:
    """One Argo document; `spec` is the workflow spec (for a CronWorkflow, its workflowSpec)."""

    kind: str
    api_version: str
    metadata: Metadata
    spec: WorkflowSpec
    file: str
    document: int = 0  # index of the document in its file
    raw: Raw = field(default_factory=dict)
    pos: Position = NO_POSITION

    @property
    def name(self) -> str:
        return self.metadata.display_name


@dataclass(frozen=True, kw_only=True)
class Workflow(Manifest):
    kind: str = "Workflow"


@dataclass(frozen=True, kw_only=True)
class WorkflowTemplate(Manifest):
    kind: str = "WorkflowTemplate"


@dataclass(frozen=True, kw_only=True)
class ClusterWorkflowTemplate(Manifest):
    kind: str = "ClusterWorkflowTemplate"


@dataclass(frozen=True, kw_only=True)
class CronWorkflow(Manifest):
    kind: str = "CronWorkflow"
    cron: CronSpec = field(default_factory=CronSpec)


MANIFEST_KINDS: Mapping[str, type[Manifest]] = {
    "Workflow": Workflow,
    "WorkflowTemplate": WorkflowTemplate,
    "ClusterWorkflowTemplate": ClusterWorkflowTemplate,
    "CronWorkflow": CronWorkflow,
}
