"""DAG templates: a task starts once every task its `depends` (or `dependencies`) names has
ended, runs when the expression holds and is Omitted otherwise; `failFast` stops starting
new tasks after a failure; `target` limits the run to some tasks and their ancestors."""

from __future__ import annotations

import contextvars
import threading
from typing import TYPE_CHECKING, Any

from legato.errors import ManifestError
from legato.manifests.argo.depends import DependsExpr, Outcome
from legato.manifests.argo.model import DagTask, Template
from legato.manifests.argo.templating import substitute
from legato.workflows.nodes import NodeResult, publish

if TYPE_CHECKING:
    from legato.workflows.runner import WorkflowRun


def _handled(name: str, node: NodeResult, task: DagTask,
             expressions: dict[str, DependsExpr | None]) -> bool:
    """Whether a failed task leaves its DAG succeeding: continueOn allows it, or a later
    task's `depends` asks for that failure (A.Failed, A.Errored, A.AllFailed, !A...)."""
    spec = task.continue_on
    if spec is not None and ((node.phase == "Failed" and spec.failed) or
                             (node.phase == "Errored" and spec.error)):
        return True
    for other, expr in expressions.items():
        if other == name or expr is None:
            continue
        text = str(expr)
        if any(f"{name}.{r}" in text for r in ("Failed", "Errored", "AllFailed", "Completed",
                                                "Any")):
            return True
    return False


def _targets(template: Template, tasks: dict[str, DagTask],
             expressions: dict[str, DependsExpr | None], scope: dict[str, Any],
             path: str) -> set[str]:
    dag = template.dag
    assert dag is not None
    if not dag.target:
        return set(tasks)
    wanted = substitute(dag.target, scope, f"{path} target").replace(",", " ").split()
    unknown = [w for w in wanted if w not in tasks]
    if unknown:
        raise ManifestError(f"{path}: target {', '.join(unknown)} is not a task of the DAG; "
                            f"use one of {', '.join(tasks)}.")
    keep: set[str] = set()
    stack = list(wanted)
    while stack:
        name = stack.pop()
        if name in keep:
            continue
        keep.add(name)
        expr = expressions[name]
        stack.extend(expr.referenced_tasks() if expr is not None else ())
    return keep


def run_dag(run: WorkflowRun, template: Template, scope: dict[str, Any],
            path: str) -> NodeResult:
    dag = template.dag
    assert dag is not None
    tasks = {t.name: t for t in dag.tasks}
    continue_on = {t.name: t.continue_on for t in dag.tasks}
    try:
        expressions = {name: t.depends_expression(continue_on) for name, t in tasks.items()}
        wanted = _targets(template, tasks, expressions, scope, path)
    except ManifestError as exc:
        return run.errored(path, template.name, str(exc))
    fail_fast = dag.fail_fast if dag.fail_fast is not None else (
        template.fail_fast if template.fail_fast is not None else True)
    limit = _int(template.parallelism) or 0
    needs = {name: (expr.referenced_tasks() if expr is not None else [])
             for name, expr in expressions.items()}
    scope = dict(scope)
    published: dict[str, Any] = {}
    outcomes: dict[str, Outcome] = {}
    nodes: dict[str, NodeResult] = {}
    pending = [name for name in tasks if name in wanted]
    running: set[str] = set()
    done = threading.Condition()
    finished: list[tuple[str, NodeResult]] = []
    stop = False

    def start(name: str) -> None:
        task = tasks[name]
        snapshot = dict(scope)
        context = contextvars.copy_context()

        def body() -> None:
            try:
                node = run.step(task, snapshot, f"{path}.{name}", "tasks",
                                _int(template.parallelism))
            except BaseException as exc:  # reported as the task's error, never lost
                node = NodeResult("Errored", message=f"{type(exc).__name__}: {exc}")
            with done:
                finished.append((name, node))
                done.notify_all()

        running.add(name)
        threading.Thread(target=context.run, args=(body,), daemon=True,
                         name=f"legato-dag-{name}").start()

    while pending or running:
        progressed = True
        while progressed and not stop:
            progressed = False
            for name in list(pending):
                expr = expressions[name]
                needed = needs[name]
                if any(dep in wanted and dep not in outcomes for dep in needed):
                    continue
                if limit and len(running) >= limit:
                    break
                pending.remove(name)
                progressed = True
                known = {dep: outcomes.get(dep, Outcome("Omitted")) for dep in needed}
                if expr is None or expr.evaluate(known):
                    start(name)
                else:
                    node = NodeResult("Omitted", message=f"depends '{expr}' is false")
                    nodes[name] = node
                    outcomes[name] = Outcome("Omitted")
                    values = publish(f"tasks.{name}", node)
                    scope.update(values)
                    published.update(values)
        if stop:
            for name in pending:
                nodes[name] = NodeResult("Omitted", message="not started: failFast")
            pending.clear()
        if not running:
            if pending:  # nothing can start: every remaining task waits on a skipped chain
                for name in pending:
                    nodes[name] = NodeResult("Omitted", message="its dependencies never ran")
                pending.clear()
            break
        with done:
            while not finished:
                done.wait()
            batch, finished[:] = list(finished), []
        for name, node in batch:
            running.discard(name)
            nodes[name] = node
            outcomes[name] = Outcome(node.phase, children=tuple(c.phase for c in node.children))
            values = publish(f"tasks.{name}", node)
            scope.update(values)
            published.update(values)
            if not node.ok and fail_fast and not _handled(name, node, tasks[name], expressions):
                stop = True
    for name, node in nodes.items():
        if not node.ok and not _handled(name, node, tasks[name], expressions):
            return NodeResult(node.phase, {"scope": published},
                              f"task {name!r} {node.phase.lower()}: {node.message}")
    return NodeResult("Succeeded", {"scope": published})


def _int(value: int | str | None) -> int | None:
    try:
        return int(value) or None if value is not None else None
    except ValueError:
        return None
