"""Steps templates and the steps (and DAG tasks) in them: sequential groups of parallel
steps, loops over items, `when`, and a step's hooks and exit handler."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from legato.engine.run_logging import get_run_logger
from legato.errors import ConfigError, ManifestError
from legato.manifests.argo.model import Arguments, Step, Template
from legato.manifests.argo.templating import substitute
from legato.manifests.argo.when import evaluate_when
from legato.workflows import hooks
from legato.workflows.loops import expand_loop, item_label
from legato.workflows.nodes import NodeResult, aggregate, publish

if TYPE_CHECKING:
    from legato.workflows.runner import WorkflowRun


def parallelism(value: int | str | None) -> int | None:
    """A template's `parallelism` as a limit (None: unlimited)."""
    if value is None:
        return None
    try:
        return int(value) or None
    except ValueError:
        return None


def run_steps(run: WorkflowRun, template: Template, scope: dict[str, Any],
              path: str) -> NodeResult:
    """A steps template: groups in order, the steps of a group in parallel."""
    scope = dict(scope)
    limit = parallelism(template.parallelism)
    published: dict[str, Any] = {}
    for index, group in enumerate(template.steps or ()):
        calls = [(lambda s=step, g=dict(scope), i=index: run.step(
            s, g, f"{path}[{i}].{s.name}", "steps", limit)) for step in group]
        results = run.pool.run_all(calls, limit)
        failed: list[tuple[Step, NodeResult]] = []
        for step, node in zip(group, results, strict=True):
            values = publish(f"steps.{step.name}", node)
            scope.update(values)
            published.update(values)
            if not node.ok and not _continues(step, node):
                failed.append((step, node))
        if failed:
            step, node = failed[0]
            return NodeResult(node.phase, {"scope": published},
                              f"step {step.name!r} {node.phase.lower()}: {node.message}")
    return NodeResult("Succeeded", {"scope": published})


def run_step(run: WorkflowRun, step: Step, scope: dict[str, Any], path: str, prefix: str,
             limit: int | None) -> NodeResult:
    """One step or DAG task: loops over its items, or the step itself."""
    if step.loops:
        try:
            items = expand_loop(step, scope, path)
        except (ManifestError, ConfigError) as exc:
            return run.errored(path, step.template or "", str(exc))
        calls = [(lambda i=i, item=item: run_step_once(
            run, step, {**scope, "item": item}, f"{path}({i}:{item_label(item)})", prefix))
            for i, item in enumerate(items)]
        children = run.pool.run_all(calls, limit)
        node = aggregate(children) if children else NodeResult("Skipped", message="no items")
    else:
        node = run_step_once(run, step, scope, path, prefix)
    return node


def run_step_once(run: WorkflowRun, step: Step, scope: dict[str, Any], path: str,
                  prefix: str) -> NodeResult:
    """One step: `when`, hooks as it starts, the call, hooks and exit handler as it ends."""
    if step.when is not None:
        try:
            condition = substitute(step.when, scope, f"{path} when")
            if not evaluate_when(condition):
                get_run_logger().info("%s skipped: when '%s' is false", path, condition)
                return NodeResult("Skipped", message=f"when '{condition}' evaluated false")
        except (ManifestError, ConfigError) as exc:
            return run.errored(path, step.template or "", str(exc))
    fired: set[str] = set()
    if step.hooks:
        running = {**scope, f"{prefix}.{step.name}.status": "Running"}
        hooks.fire(run, step.hooks, running, path, fired)
    node = run.call(step.template, step.template_ref, step.inline, step.arguments, scope,
                    path)
    if step.hooks:
        hooks.fire(run, step.hooks, {**scope, **publish(f"{prefix}.{step.name}", node)},
                   path, fired)
    exit_name = step.on_exit
    hook = step.hooks.get("exit")
    if exit_name or hook is not None:
        status_scope = {**scope, **publish(f"{prefix}.{step.name}", node)}
        if exit_name:
            run.call(exit_name, None, None, Arguments(), status_scope, f"{path}.onExit")
        if hook is not None:
            run.call(hook.template, hook.template_ref, None, hook.arguments, status_scope,
                     f"{path}.hooks.exit")
    return node


def _continues(step: Step, node: NodeResult) -> bool:
    spec = step.continue_on
    if spec is None:
        return False
    return (node.phase == "Failed" and spec.failed) or (node.phase == "Errored" and spec.error)
