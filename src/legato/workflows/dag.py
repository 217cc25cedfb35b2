"""DAG templates: a task starts once every task its `depends` (or `dependencies`) names has
ended, runs when the expression holds and is Omitted otherwise; `failFast` stops starting
new tasks after a failure; `target` limits the run to some tasks and their ancestors."""

from __future__ import annotations

import heapq
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
    state = _DagRun(run, template, tasks, expressions, wanted, dict(scope), path, fail_fast)
    return state.execute()


class _DagRun:
    """The moving parts of one DAG node. A task that ends starts the tasks it made ready on
    its own thread (the first inline, the others on the pool), so a chain of tasks never
    waits for a scheduler thread to wake up."""

    def __init__(self, run: WorkflowRun, template: Template, tasks: dict[str, DagTask],
                 expressions: dict[str, DependsExpr | None], wanted: set[str],
                 scope: dict[str, Any], path: str, fail_fast: bool) -> None:
        self.run, self.template, self.tasks = run, template, tasks
        self.expressions, self.wanted, self.scope, self.path = expressions, wanted, scope, path
        self.fail_fast = fail_fast
        self.limit = _int(template.parallelism) or 0
        self.needs = {name: (expr.referenced_tasks() if expr is not None else [])
                      for name, expr in expressions.items()}
        self.published: dict[str, Any] = {}
        self.outcomes: dict[str, Outcome] = {}
        self.nodes: dict[str, NodeResult] = {}
        self.pending = {name: None for name in tasks if name in wanted}
        # Which wanted tasks each pending task still waits for, and who waits for each task:
        # a task that ends looks only at its dependents (a scan of every pending task per
        # end made a 200-task DAG quadratic).
        self.order = {name: i for i, name in enumerate(tasks)}
        self.waiting = {name: {d for d in self.needs[name] if d in wanted}
                        for name in self.pending}
        self.dependents: dict[str, list[str]] = {}
        for name, deps in self.waiting.items():
            for dep in deps:
                self.dependents.setdefault(dep, []).append(name)
        self.candidates = [(self.order[n], n) for n, deps in self.waiting.items() if not deps]
        heapq.heapify(self.candidates)
        self.running = 0
        self.stop = False
        self.lock = threading.Condition()

    def execute(self) -> NodeResult:
        with self.lock:
            ready = self._ready()
        self._launch(ready, inline=False)
        with self.lock:
            while self.running:
                self.lock.wait()
            for name in self.pending:  # what is left can never start
                reason = "not started: failFast" if self.stop else "its dependencies never ran"
                self.nodes[name] = NodeResult("Omitted", message=reason)
            self.pending.clear()
        for name, node in self.nodes.items():
            if not node.ok and not _handled(name, node, self.tasks[name], self.expressions):
                return NodeResult(node.phase, {"scope": self.published},
                                  f"task {name!r} {node.phase.lower()}: {node.message}")
        return NodeResult("Succeeded", {"scope": self.published})

    def _record(self, name: str, node: NodeResult) -> None:
        self.nodes[name] = node
        self.outcomes[name] = Outcome(node.phase, children=tuple(c.phase for c in node.children))
        values = publish(f"tasks.{name}", node)
        self.scope.update(values)
        self.published.update(values)
        for dependent in self.dependents.get(name, ()):
            waits = self.waiting[dependent]
            waits.discard(name)
            if not waits and dependent in self.pending:
                heapq.heappush(self.candidates, (self.order[dependent], dependent))

    def _ready(self) -> list[tuple[str, dict[str, Any]]]:
        """Under the lock: take every task whose dependencies have ended, in manifest order;
        omit those whose `depends` is false; return the ones to start with their scope."""
        ready: list[tuple[str, dict[str, Any]]] = []
        while self.candidates and not self.stop:
            if self.limit and self.running >= self.limit:
                return ready
            _, name = heapq.heappop(self.candidates)
            if name not in self.pending:
                continue  # taken already
            del self.pending[name]
            needed = self.needs[name]
            expr = self.expressions[name]
            known = {dep: self.outcomes.get(dep, Outcome("Omitted")) for dep in needed}
            if expr is None or expr.evaluate(known):
                self.running += 1
                ready.append((name, dict(self.scope)))
            else:
                self._record(name, NodeResult("Omitted", message=f"depends '{expr}' is false"))
        return ready

    def _launch(self, ready: list[tuple[str, dict[str, Any]]], *, inline: bool) -> None:
        first = ready[0] if inline and ready else None
        for name, snapshot in ready[1:] if first else ready:
            self.run.pool.submit(lambda n=name, s=snapshot: self._task(n, s))  # type: ignore[misc]
        if first is not None:
            self._task(*first)

    def _task(self, name: str, snapshot: dict[str, Any]) -> None:
        while True:
            try:
                node = self.run.step(self.tasks[name], snapshot, f"{self.path}.{name}", "tasks",
                                     _int(self.template.parallelism))
            except BaseException as exc:  # reported as the task's error, never lost
                node = NodeResult("Errored", message=f"{type(exc).__name__}: {exc}")
            with self.lock:
                self.running -= 1
                self._record(name, node)
                if not node.ok and self.fail_fast and not _handled(
                        name, node, self.tasks[name], self.expressions):
                    self.stop = True
                ready = self._ready()
                if not self.running:
                    self.lock.notify_all()
            if not ready:
                return
            self._launch(ready[1:], inline=False)
            name, snapshot = ready[0]


def _int(value: int | str | None) -> int | None:
    try:
        return int(value) or None if value is not None else None
    except ValueError:
        return None
