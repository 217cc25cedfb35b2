"""Checks the `{{...}}` variables of one template against what can fill them: its own inputs,
the workflow's parameters, the steps or tasks of the same template (and, for a DAG task, only
the tasks it depends on), and `item` only inside a loop."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .depends import ExpressionSyntaxError, dependencies_expression, parse_depends
from .model import DagTask, Step, Template
from .problems import KeyPath, did_you_mean
from .references import Reference, references

if TYPE_CHECKING:
    from .semantics import SemanticChecker


def _strings(value: Any, path: KeyPath) -> Iterator[tuple[KeyPath, str]]:
    """Every string in `value` with its path; `inline` templates are left to their own check."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key != "inline":
                yield from _strings(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, index))


class VariableChecker:
    def __init__(self, checker: SemanticChecker, template: Template, path: KeyPath) -> None:
        self.checker = checker
        self.template = template
        self.path = path
        self.inputs = {p.name for p in template.inputs.parameters}
        self.artifacts = {a.name for a in template.inputs.artifacts}
        self.step_groups: dict[str, int] = {}
        for g, group in enumerate(template.steps or ()):
            for step in group:
                self.step_groups.setdefault(step.name, g)
        self.tasks: dict[str, DagTask] = {t.name: t for t in
                                          (template.dag.tasks if template.dag else ())}
        self._ancestors: dict[str, set[str]] = {}

    def check(self) -> None:
        for path, text in _strings(self.template.raw, self.path):
            if "{{" in text:
                for reference in references(text):
                    self.reference(reference, path[len(self.path):], path)

    def _add(self, path: KeyPath, reference: Reference, message: str, fix: str) -> None:
        self.checker.add(path, message, fix, offset=reference.offset)

    def reference(self, ref: Reference, local: KeyPath, path: KeyPath) -> None:
        name = self.template.name
        if ref.scope == "inputs.parameters" and ref.name not in self.inputs:
            self._add(path, ref, f"'{{{{inputs.parameters.{ref.name}}}}}' is not an input "
                      f"parameter of template '{name}'",
                      did_you_mean(ref.name, self.inputs,
                                   "declare it under the template's inputs.parameters"))
        elif ref.scope == "inputs.artifacts" and ref.name not in self.artifacts:
            self._add(path, ref, f"'{{{{inputs.artifacts.{ref.name}}}}}' is not an input "
                      f"artifact of template '{name}'",
                      did_you_mean(ref.name, self.artifacts,
                                   "declare it under the template's inputs.artifacts"))
        elif ref.scope == "workflow.parameters":
            known = self.checker.workflow_parameters
            if known is not None and ref.name not in known:
                self._add(path, ref, f"'{{{{workflow.parameters.{ref.name}}}}}' is not a "
                          "workflow parameter",
                          did_you_mean(ref.name, known, "declare it under spec.arguments"
                                       ".parameters"))
        elif ref.scope == "steps":
            self.step_reference(ref, local, path)
        elif ref.scope == "tasks":
            self.task_reference(ref, local, path)
        elif ref.scope == "item" and not self.in_loop(local):
            self._add(path, ref, "'{{item}}' is used outside a loop",
                      "use it in a step or task with withItems, withParam or withSequence")

    def owner(self, local: KeyPath) -> tuple[Step | None, int | None]:
        """The step or task a path lies in, and for a step its group."""
        if len(local) >= 3 and local[0] == "steps" and self.template.steps is not None:
            g, i = local[1], local[2]
            if isinstance(g, int) and isinstance(i, int) and g < len(self.template.steps) \
                    and i < len(self.template.steps[g]):
                return self.template.steps[g][i], g
        if len(local) >= 3 and local[:2] == ("dag", "tasks") and self.template.dag is not None:
            i = local[2]
            if isinstance(i, int) and i < len(self.template.dag.tasks):
                return self.template.dag.tasks[i], None
        return None, None

    def in_loop(self, local: KeyPath) -> bool:
        step, _ = self.owner(local)
        return step is not None and step.loops

    def step_reference(self, ref: Reference, local: KeyPath, path: KeyPath) -> None:
        group = self.step_groups.get(ref.name)
        if group is None:
            self._add(path, ref, f"'steps.{ref.name}' is not a step of template "
                      f"'{self.template.name}'",
                      did_you_mean(ref.name, self.step_groups, "name a step of this template"))
            return
        step, own_group = self.owner(local)
        if step is not None and own_group is not None and "hooks" not in local and \
                group >= own_group:
            self._add(path, ref, f"step '{step.name}' uses 'steps.{ref.name}', which runs "
                      "in the same or a later group", f"move '{ref.name}' to an earlier group")

    def task_reference(self, ref: Reference, local: KeyPath, path: KeyPath) -> None:
        if ref.name not in self.tasks:
            self._add(path, ref, f"'tasks.{ref.name}' is not a task of template "
                      f"'{self.template.name}'",
                      did_you_mean(ref.name, self.tasks, "name a task of this DAG"))
            return
        task, _ = self.owner(local)
        if task is None or "hooks" in local:
            return
        if ref.name == task.name or ref.name not in self.ancestors(task.name):
            self._add(path, ref, f"task '{task.name}' uses 'tasks.{ref.name}' but does not "
                      f"depend on it", f"add '{ref.name}' to its depends or dependencies")

    def ancestors(self, name: str) -> set[str]:
        if name in self._ancestors:
            return self._ancestors[name]
        self._ancestors[name] = set()  # a cycle is reported elsewhere; stop here
        found: set[str] = set()
        task = self.tasks.get(name)
        for parent in _direct(task) if task else ():
            if parent in self.tasks:
                found.add(parent)
                found |= self.ancestors(parent)
        self._ancestors[name] = found
        return found


def _direct(task: DagTask) -> list[str]:
    try:
        if task.depends is not None and task.depends.strip():
            return parse_depends(task.depends).referenced_tasks()
    except ExpressionSyntaxError:
        return []
    return dependencies_expression(task.dependencies, {}).referenced_tasks() \
        if task.dependencies else []
