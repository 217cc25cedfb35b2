"""Runs one Argo workflow inside a flow run: templates are invoked with their inputs, steps
run as sequential groups of parallel steps, DAG tasks when their `depends` holds, loops fan
out, `when` skips; every container/script/suspend node is one task run keyed by its node
path, so a resumed run reuses the steps that completed."""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from legato.core.states import StateType
from legato.engine.calls import call_task_keyed
from legato.engine.context import FlowRunContext, current_flow_run
from legato.engine.run_logging import get_run_logger
from legato.engine.specs import TaskSpec
from legato.engine.states import State
from legato.errors import CancelledRun, ConfigError, LegatoError, ManifestError
from legato.manifests.argo.model import Arguments, Manifest, Step, Template, TemplateRef
from legato.manifests.argo.templating import substitute
from legato.workflows import hooks, isolation, leaf, suspend
from legato.workflows import steps as step_nodes
from legato.workflows.artifacts import ArtifactStore
from legato.workflows.dag import run_dag
from legato.workflows.defaults import with_defaults
from legato.workflows.durations import parse_duration
from legato.workflows.images import ImageMap
from legato.workflows.nodes import NodePool, NodeResult, failure_record, node_key
from legato.workflows.scratch import DEFAULT_PREFIXES
from legato.workflows.spawner import Spawner, SpawnerUnavailable, shared_spawner
from legato.workflows.sync import Synchronizer
from legato.workflows.vault_refs import fill_parameters, vault_scope

# Container fields that only a pod honours (the template's own are in model.POD_FIELDS).
CONTAINER_POD_FIELDS = frozenset({
    "resources", "volumeMounts", "volumeDevices", "ports", "securityContext", "imagePullPolicy",
    "livenessProbe", "readinessProbe", "startupProbe", "lifecycle", "envFrom",
})


class WorkflowFailed(LegatoError):
    """A YAML workflow ended Failed or Errored; the message names the failing nodes."""


@dataclass
class RunOptions:
    """What a workflow run is given from outside: parameters, the entrypoint, where scratch
    trees and artifacts live, and the image map."""

    parameters: dict[str, str]
    entrypoint: str | None
    scratch_root: Path
    artifacts_url: str
    images: ImageMap = field(default_factory=ImageMap)
    templates: Mapping[str, Manifest] = field(default_factory=dict)  # for templateRef
    isolation: str = "auto"  # or "rewrite" / "namespace" (see workflows.isolation)


class WorkflowRun:
    """The state of one workflow execution; `execute()` runs it to the end."""

    def __init__(self, manifest: Manifest, options: RunOptions) -> None:
        self.manifest = manifest
        self.spec = manifest.spec
        self.options = options
        self.templates = {t.name: t for t in self.spec.templates}
        self.lock = threading.Lock()
        self.globals: dict[str, Any] = {}
        self.failures: list[Mapping[str, Any]] = []
        self.pod_fields_noted = False
        # Per template object (kept, so its id stays its own): the defaulted template, and
        # the task definition of its steps when that is the same for every step.
        self._with_defaults: dict[int, tuple[Template, Template]] = {}
        self._plain_specs: dict[int, tuple[Template, TaskSpec]] = {}
        limit = self.spec.parallelism
        self.slots = threading.BoundedSemaphore(limit) if limit else None
        self.deadline_at: float | None = None
        self.sync = Synchronizer()
        self.flow: FlowRunContext | None = None
        self.started = 0.0
        self.pool = NodePool()
        self.mounts: frozenset[str] = frozenset()
        self.spawner: Spawner | None = None
        self.hooks_fired: set[str] = set()
        self.environment = dict(os.environb)
        self.artifacts: ArtifactStore | None = None
        self.scratch_run = options.scratch_root  # the run's own folder under it, once started
        # The run's parameters with {{secrets.X}} / {{variables.X}} filled in.
        self.parameters: dict[str, str] = dict(options.parameters)

    # -- the whole workflow ---------------------------------------------------------------
    def execute(self) -> dict[str, Any]:
        flow = current_flow_run()
        if flow is None:
            raise LegatoError("a YAML workflow can only run inside a flow run.")
        self.flow = flow
        self.started = flow.clock.monotonic()
        self.artifacts = ArtifactStore(self.options.artifacts_url, flow.flow_run.id)
        self.scratch_run = self.options.scratch_root / flow.flow_run.id
        self.sync.bind(flow.backend, flow.flow_run.id, flow.cancel_event)
        if self.spec.active_deadline_seconds is not None:
            self.deadline_at = flow.clock.monotonic() + float(self.spec.active_deadline_seconds)
        self.globals = self._global_scope(flow)
        raws = [self.manifest.raw, *(m.raw for m in self.options.templates.values())]
        vault = vault_scope(raws, self.options.parameters, flow.backend,
                            f"workflow {self.manifest.name!r}")
        if vault:
            self.globals.update(vault)
            self.parameters = fill_parameters(self.options.parameters, vault)
            for name, value in self.parameters.items():
                self.globals[f"workflow.parameters.{name}"] = value
        entry = self.options.entrypoint or self.spec.entrypoint
        if not entry or entry not in self.templates:
            raise ManifestError(f"workflow {self.manifest.name!r}: entrypoint {entry!r} is not a "
                                "template; set spec.entrypoint or --entrypoint to a template name.")
        try:
            with self.sync.hold(self.spec.synchronization, self.globals,
                                f"workflow {self.manifest.name!r}"):
                return self._execute(flow, entry)
        finally:
            self.sync.close()
            self.pool.close()
            try:  # the run's scratch folder goes once empty; failed steps' trees are kept
                os.rmdir(self.options.scratch_root / flow.flow_run.id)
            except OSError:
                pass

    def _execute(self, flow: FlowRunContext, entry: str) -> dict[str, Any]:
        log = get_run_logger()
        if self.options.isolation != "rewrite":
            reason = isolation.probe()
            if reason is None:
                self.mounts = isolation.mountable(DEFAULT_PREFIXES,
                                                  str(self.options.scratch_root))
                try:
                    self.spawner = shared_spawner()
                except SpawnerUnavailable as exc:  # each step then enters one by `unshare`
                    log.info("steps enter their mount namespaces through the unshare program: "
                             "the step spawner could not start (%s)", exc)
            else:
                (log.warning if self.options.isolation == "namespace" else log.info)(
                    "steps share this machine's /tmp: %s, so only container paths written in "
                    "the manifest are rewritten (%s=rewrite silences this)", reason,
                    isolation.ENV_VAR)
        self.globals["workflow.status"] = "Running"
        hooks.fire(self, self.spec.hooks, self.globals, self.manifest.name, self.hooks_fired)
        del self.globals["workflow.status"]
        # As in Argo, the workflow's arguments are the entrypoint template's inputs.
        artifacts = {a.name: a.from_ for a in self.spec.arguments.artifacts if a.from_}
        root = self.invoke(self.templates[entry], self.parameters, artifacts,
                           self.manifest.name)
        if flow.cancel_event.is_set():
            raise CancelledRun(f"workflow {self.manifest.name!r} was cancelled")
        status = "Succeeded" if root.ok else ("Error" if root.phase == "Errored" else "Failed")
        self.globals["workflow.status"] = status
        hooks_ok = hooks.fire(self, self.spec.hooks, self.globals, self.manifest.name,
                              self.hooks_fired)
        exit_ok = self._exit_handlers(status) and hooks_ok
        outputs = {k.split(".", 3)[3]: v for k, v in self.globals.items()
                   if k.startswith("workflow.outputs.parameters.")}
        if not root.ok or not exit_ok:
            message = root.message or "the exit handler failed"
            log.error("workflow %s: %s", status if not root.ok else "Failed", message)
            raise WorkflowFailed(f"workflow {self.manifest.name!r} {status.lower()}: {message}")
        return {"status": status, "outputs": {"parameters": outputs}}

    def _global_scope(self, flow: FlowRunContext) -> dict[str, Any]:
        info = flow.flow_run
        params = dict(self.options.parameters)
        scope: dict[str, Any] = {
            "workflow.name": info.name, "workflow.uid": info.id, "workflow.namespace": "default",
            "workflow.mainEntrypoint": self.options.entrypoint or self.spec.entrypoint or "",
            "workflow.serviceAccountName": self.spec.service_account_name or "default",
            "workflow.creationTimestamp": flow.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
            "workflow.priority": "0", "workflow.duration": "0",
            "workflow.parameters": json.dumps([{"name": k, "value": v} for k, v in params.items()]),
        }
        for key, value in self.manifest.metadata.labels.items():
            scope[f"workflow.labels.{key}"] = value
        for key, value in self.manifest.metadata.annotations.items():
            scope[f"workflow.annotations.{key}"] = value
        for name, value in params.items():
            scope[f"workflow.parameters.{name}"] = value
        return scope

    def _exit_handlers(self, status: str) -> bool:
        handlers: list[tuple[str | None, TemplateRef | None, Arguments, str]] = []
        if self.spec.on_exit:
            handlers.append((self.spec.on_exit, None, Arguments(), "onExit"))
        hook = self.spec.hooks.get("exit")
        if hook is not None:
            handlers.append((hook.template, hook.template_ref, hook.arguments, "hooks.exit"))
        if not handlers:
            return True
        self.globals["workflow.status"] = status
        if self.flow is not None:
            elapsed = self.flow.clock.monotonic() - self.started
            self.globals["workflow.duration"] = f"{elapsed:.3f}"
        self.globals["workflow.failures"] = json.dumps(self.failures)
        ok = True
        for name, ref, arguments, label in handlers:
            node = self.call(name, ref, None, arguments, self.globals,
                             f"{self.manifest.name}.{label}")
            ok = ok and node.ok
        return ok

    # -- templates ------------------------------------------------------------------------
    def resolve(self, name: str | None, ref: TemplateRef | None, inline: Template | None,
                where: str) -> Template:
        if inline is not None:
            return inline
        if ref is not None:
            source = self.options.templates.get(ref.name)
            found = source.spec.template(ref.template) if source is not None else None
            if found is None:
                known = ", ".join(sorted(self.options.templates)) or "none loaded"
                raise ManifestError(
                    f"{where}: templateRef {ref.name}/{ref.template} is not available (templates "
                    f"known: {known}); pass the WorkflowTemplate file along with the workflow.")
            return found
        if name and name in self.templates:
            return self.templates[name]
        raise ManifestError(f"{where}: template {name!r} does not exist; check the name.")

    def call(self, name: str | None, ref: TemplateRef | None, inline: Template | None,
             arguments: Arguments, scope: Mapping[str, Any], path: str) -> NodeResult:
        """Invoke a template with arguments substituted in the caller's scope."""
        try:
            template = self.resolve(name, ref, inline, path)
            params = {p.name: substitute(p.value if p.value is not None else (p.default or ""),
                                         scope, f"{path} arguments.{p.name}")
                      for p in arguments.parameters}
            artifacts: dict[str, str] = {}
            for art in arguments.artifacts:
                if art.from_:
                    artifacts[art.name] = substitute(art.from_, scope, f"{path} {art.name}")
        except (ManifestError, ConfigError) as exc:
            return self.errored(path, name or "", str(exc))
        return self.invoke(template, params, artifacts, path)

    def invoke(self, template: Template, params: Mapping[str, str],
               artifacts: Mapping[str, str], path: str) -> NodeResult:
        try:
            scope = self._template_scope(template, params, artifacts, path)
        except (ManifestError, ConfigError) as exc:
            return self.errored(path, template.name, str(exc))
        kind = template.kind
        if not self.pod_fields_noted:  # once per run: looked for until found
            body = template.script or template.container
            ignored = {*template.pod_fields, *(k for k in (body.raw if body else {})
                                               if k in CONTAINER_POD_FIELDS)}
            if ignored:
                self.pod_fields_noted = True
                get_run_logger().info("pod-only fields (%s) are kept and ignored when running "
                                      "locally", ", ".join(sorted(ignored)))
        if kind in ("container", "script"):
            node = self.leaf(self._defaulted(template), scope, path)
        elif kind in ("steps", "dag"):
            with self.sync.hold(template.synchronization, scope,
                                f"template {template.name!r} ({path})"):
                node = self.retried_group(template, scope, path)
        elif kind == "suspend":
            node = suspend.run_suspend(self, template, scope, path)
        else:
            node = self.errored(path, template.name, f"template {template.name!r} is a {kind} "
                                "template, which Legato cannot run locally; use container, "
                                "script, steps, dag or suspend.")
        if node.phase == "Succeeded" and kind in ("steps", "dag"):
            node = self._template_outputs(template, scope, node, path)
        if node.phase == "Succeeded":
            self._export_globals(template, node)
        return node

    def retried_group(self, template: Template, scope: dict[str, Any], path: str) -> NodeResult:
        """A steps or dag template, run again under its own retryStrategy while it fails;
        attempt N (from 1) runs its children under `path(N)`, so they are new task runs."""
        def once(at: str) -> NodeResult:
            if template.kind == "steps":
                return self.steps(template, scope, at)
            return run_dag(self, template, scope, at)

        node = once(path)
        if node.ok or template.retry_strategy is None or self.flow is None:
            return node
        where = f"template {template.name!r} ({path})"
        try:
            policy, condition = leaf.retry_policy(template.retry_strategy, scope, where)
        except (ManifestError, ConfigError) as exc:
            return self.errored(path, template.name, str(exc))
        attempt = 1
        while node.phase in ("Failed", "Errored") and policy.allows(attempt + 1):
            error = leaf.StepFailed(node.message, None, {})
            error.phase = node.phase
            if condition is not None and not condition(None, None, State(
                    StateType.FAILED, message=node.message, exception=error)):
                break
            delay = policy.delay_before(attempt + 1)
            get_run_logger().warning("%s failed (%s); retrying in %g s", path, node.message, delay)
            if delay > 0:
                self.flow.clock.sleep(delay)
            node = once(f"{path}({attempt})")
            attempt += 1
        return node

    def _template_scope(self, template: Template, params: Mapping[str, str],
                        artifacts: Mapping[str, str], path: str) -> dict[str, Any]:
        scope = dict(self.globals)
        scope["pod.name"] = scope["node.name"] = path
        values: list[dict[str, str]] = []
        for param in template.inputs.parameters:
            value = params.get(param.name)
            if value is None:
                fallback = param.value if param.value is not None else param.default
                if fallback is None:
                    raise ManifestError(
                        f"{path}: input parameter {param.name!r} of template {template.name!r} "
                        "was not supplied; pass it in arguments.parameters or give it a default.")
                value = substitute(fallback, scope, f"{path} inputs.{param.name}")
            if param.enum and value not in param.enum:
                raise ManifestError(f"{path}: input parameter {param.name!r} is {value!r}; use one "
                                    f"of {', '.join(param.enum)}.")
            scope[f"inputs.parameters.{param.name}"] = value
            values.append({"name": param.name, "value": value})
        scope["inputs.parameters"] = json.dumps(values)
        for art in template.inputs.artifacts:
            if art.path:
                scope[f"inputs.artifacts.{art.name}.path"] = art.path
            if art.name in artifacts:
                scope[f"inputs.artifacts.{art.name}"] = artifacts[art.name]
        for param in template.outputs.parameters:
            if param.value_from is not None and param.value_from.path:
                scope[f"outputs.parameters.{param.name}.path"] = param.value_from.path
        for art in template.outputs.artifacts:
            if art.path:
                scope[f"outputs.artifacts.{art.name}.path"] = art.path
        return scope

    def _template_outputs(self, template: Template, scope: dict[str, Any], node: NodeResult,
                          path: str) -> NodeResult:
        inner = {**scope, **node.outputs.get("scope", {})}
        params: dict[str, str] = {}
        artifacts: dict[str, str] = {}
        try:
            for param in template.outputs.parameters:
                source = param.value_from
                if source is not None and source.parameter:
                    params[param.name] = substitute(source.parameter, inner, path)
                elif source is not None and source.expression:
                    params[param.name] = substitute("{{=" + source.expression + "}}", inner, path)
                elif param.value is not None:
                    params[param.name] = substitute(param.value, inner, path)
                elif source is not None and source.default is not None:
                    params[param.name] = source.default
            for art in template.outputs.artifacts:
                if art.from_:
                    artifacts[art.name] = substitute(art.from_, inner, path)
        except ManifestError as exc:
            return self.errored(path, template.name, str(exc))
        return NodeResult("Succeeded", {"parameters": params, "artifacts": artifacts},
                          node.message, node.children)

    def _export_globals(self, template: Template, node: NodeResult) -> None:
        values = node.outputs.get("parameters") or {}
        arts = node.outputs.get("artifacts") or {}
        with self.lock:
            for param in template.outputs.parameters:
                if param.global_name and param.name in values:
                    self.globals[f"workflow.outputs.parameters.{param.global_name}"] = \
                        values[param.name]
            for art in template.outputs.artifacts:
                if art.global_name and art.name in arts:
                    self.globals[f"workflow.outputs.artifacts.{art.global_name}"] = arts[art.name]

    def errored(self, path: str, template: str, message: str) -> NodeResult:
        node = NodeResult("Errored", message=message)
        get_run_logger().error("%s: %s", path, message)
        with self.lock:
            self.failures.append(failure_record(path, template, node))
        return node

    def failed(self, path: str, template: str, node: NodeResult) -> None:
        with self.lock:
            self.failures.append(failure_record(path, template, node))

    def remaining(self) -> float | None:
        if self.deadline_at is None or self.flow is None:
            return None
        return max(0.0, self.deadline_at - self.flow.clock.monotonic())

    # -- container and script steps -------------------------------------------------------
    def leaf(self, template: Template, scope: dict[str, Any], path: str) -> NodeResult:
        flow = self.flow
        assert flow is not None and self.artifacts is not None
        where = f"template {template.name!r} (step {path})"
        if self.remaining() == 0.0:
            return self.errored(path, template.name, "the workflow's activeDeadlineSeconds passed "
                                "before this step started.")
        try:
            spec = self._task_spec(template, scope, where)
        except (ManifestError, ConfigError) as exc:
            return self.errored(path, template.name, str(exc))
        call = leaf.LeafCall(
            template=template, scope=scope, path=path,
            scratch_root=self.scratch_run / _dirname(path),
            images=self.options.images, artifacts=self.artifacts, deadline=self.remaining,
            cancel=flow.cancel_event, clock=flow.clock, mounts=self.mounts,
            spawner=self.spawner, environment=self.environment)
        if template.synchronization is None and self.slots is None:  # the common case, bare
            state = call_task_keyed(spec, node_key(path), (call,), {})
        else:
            with self.sync.hold(template.synchronization, scope, where), _slot(self.slots):
                state = call_task_keyed(spec, node_key(path), (call,), {})
        if state.type.value in ("COMPLETED", "CACHED"):
            return NodeResult("Succeeded", dict(state.result()))
        if state.type.value == "CANCELLED" or flow.cancel_event.is_set():
            raise CancelledRun(f"step {path} was cancelled")
        error = state.result(raise_on_failure=False)
        phase = getattr(error, "phase", "Errored")
        outputs = dict(getattr(error, "outputs", {}) or {})
        node = NodeResult(phase, outputs, str(error) or state.message or phase)
        self.failed(path, template.name, node)
        return node

    def _defaulted(self, template: Template) -> Template:
        """The template with the run's templateDefaults, made once per template (its steps
        then share one object, which `leaf` keys its cached task definition on)."""
        found = self._with_defaults.get(id(template))
        if found is None or found[0] is not template:
            found = (template, with_defaults(template, self.spec.template_defaults))
            self._with_defaults[id(template)] = found
        return found[1]

    def _task_spec(self, template: Template, scope: Mapping[str, Any],
                   where: str) -> TaskSpec:
        """The engine's task definition for a step of `template`; one per template when it
        has no retryStrategy or memoize (nothing in it then depends on the step's scope)."""
        if template.retry_strategy is not None or template.memoize is not None:
            policy, condition = leaf.retry_policy(template.retry_strategy, scope, where)
            return leaf.leaf_spec(template, policy, condition,
                                  self.memo_key(template, scope, where))
        found = self._plain_specs.get(id(template))
        if found is None or found[0] is not template:
            policy, condition = leaf.retry_policy(None, scope, where)
            found = (template, leaf.leaf_spec(template, policy, condition, None))
            self._plain_specs[id(template)] = found
        return found[1]

    def memo_key(self, template: Template, scope: Mapping[str, Any],
                 where: str) -> tuple[str, float | None] | None:
        memo = template.memoize
        if memo is None:
            return None
        key = substitute(memo.key, scope, f"{where} memoize.key")
        age = parse_duration(memo.max_age, where) if memo.max_age else None
        return f"argo-memoize:{memo.cache_name or 'default'}:{key}", age

    # -- steps (and DAG tasks) -------------------------------------------------------------
    def steps(self, template: Template, scope: dict[str, Any], path: str) -> NodeResult:
        return step_nodes.run_steps(self, template, scope, path)

    def step(self, step: Step, scope: dict[str, Any], path: str, prefix: str,
             limit: int | None) -> NodeResult:
        """One step or DAG task: loops, `when`, the call, and its hooks."""
        return step_nodes.run_step(self, step, scope, path, prefix, limit)


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


class _slot:
    """Hold one of the workflow's parallelism slots (none when unlimited)."""

    def __init__(self, gate: threading.BoundedSemaphore | None) -> None:
        self.gate = gate

    def __enter__(self) -> None:
        if self.gate is not None:
            self.gate.acquire()

    def __exit__(self, *exc: object) -> None:
        if self.gate is not None:
            self.gate.release()


def _dirname(path: str) -> str:
    """A scratch directory name for a node: rewritten paths land unquoted in shell scripts,
    so only characters no shell treats specially, plus a digest against collisions."""
    safe = _UNSAFE.sub("_", path)
    return f"{safe[:80]}-{hashlib.sha1(path.encode()).hexdigest()[:10]}"
