"""The semantic layer: what the schema cannot see. Entrypoint, onExit and hooks name real
templates; steps and tasks call templates that exist (locally or through templateRef) and pass
the inputs they need; names are unique; DAGs have no cycles and valid `depends`; `when`
conditions parse; loops are well formed. Variable uses are checked in `argo.variables`."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from legato.core.graph import find_cycle

from .condition_syntax import check_condition
from .depends import ExpressionSyntaxError, parse_depends
from .loader import Document
from .model import (
    CronWorkflow,
    Dag,
    DagTask,
    LifecycleHook,
    Manifest,
    Step,
    Template,
    TemplateRef,
    Workflow,
    WorkflowSpec,
)
from .problems import KeyPath, ManifestProblem, did_you_mean, format_path
from .resolve import TemplateResolver
from .variables import VariableChecker

RUNNABLE = ("container", "script", "steps", "dag", "suspend")
_CRON_ALIASES = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
_INT_TEXT = re.compile(r"^\s*-?\d+\s*$")
# Argo's rule for template, step and task names (they become parts of node and pod names).
_NAME = re.compile(r"^[A-Za-z0-9][-A-Za-z0-9]*$")


class SemanticChecker:
    """Checks one manifest; `problems` collects everything found."""

    def __init__(self, manifest: Manifest, document: Document,
                 resolver: TemplateResolver) -> None:
        self.manifest = manifest
        self.doc = document
        self.resolver = resolver
        self.problems: list[ManifestProblem] = []
        self.base: KeyPath = ("spec", "workflowSpec") if isinstance(
            manifest, CronWorkflow) else ("spec",)
        self.templates: dict[str, Template] = {}
        self.workflow_parameters: set[str] | None = None

    def add(self, path: KeyPath, message: str, fix: str, *, at_key: bool = False,
            offset: int | None = None) -> None:
        source = self.doc.source
        where = (source.key(path) if at_key else
                 source.inside(path, offset) if offset is not None else source.value(path))
        self.problems.append(ManifestProblem(where, format_path(path), message, fix))

    def check(self) -> list[ManifestProblem]:
        manifest = self.manifest
        spec = manifest.spec
        if not (manifest.metadata.name or manifest.metadata.generate_name):
            self.add(("metadata",), f"the {manifest.kind} has no name",
                     "add 'name:' (or 'generateName:' for a Workflow) under metadata")
        if isinstance(manifest, CronWorkflow):
            self.cron(manifest)
        ref_spec = self.workflow_template_ref()
        for template in ref_spec.templates if ref_spec else ():
            self.templates.setdefault(template.name, template)
        self.unique_templates()
        if isinstance(manifest, Workflow | CronWorkflow):
            names = [p.name for p in spec.arguments.parameters]
            names += [p.name for p in ref_spec.arguments.parameters] if ref_spec else []
            self.workflow_parameters = set(names)
        self.entrypoint(ref_spec.entrypoint if ref_spec else None)
        if spec.on_exit:
            self.template_name(spec.on_exit, (*self.base, "onExit"), "onExit")
        self.hooks(spec.hooks, (*self.base, "hooks"))
        self.unique((p.name for p in spec.arguments.parameters),
                    (*self.base, "arguments", "parameters"), "workflow parameter")
        for index, template in enumerate(spec.templates):
            self.template(template, (*self.base, "templates", index))
        return self.problems

    def cron(self, manifest: CronWorkflow) -> None:
        cron = manifest.cron
        if not cron.schedules:
            self.add(("spec",), "the CronWorkflow has no schedule",
                     "add 'schedules:' with at least one cron expression")
        key = "schedules" if "schedules" in manifest.raw.get("spec", {}) else "schedule"
        for index, expression in enumerate(cron.schedules):
            text = expression.strip()
            if text.startswith("CRON_TZ=") or text.startswith("TZ="):
                text = text.split(None, 1)[1] if " " in text else ""
            fields = text.split()
            valid = (len(fields) == 1 and (fields[0] in _CRON_ALIASES
                                           or fields[0].startswith("@every "))) or \
                len(fields) == 5 or text.startswith("@every ")
            if not valid:
                path = ("spec", key, index) if key == "schedules" else ("spec", key)
                self.add(path, f"'{expression}' is not a cron expression",
                         "write five fields (minute hour day month weekday) or @hourly/@daily")
        if cron.timezone:
            try:
                ZoneInfo(cron.timezone)
            except (ZoneInfoNotFoundError, ValueError):
                self.add(("spec", "timezone"), f"unknown time zone '{cron.timezone}'",
                         "use an IANA name such as 'Europe/Berlin' or 'UTC'")
        if cron.concurrency_policy not in ("Allow", "Forbid", "Replace"):
            self.add(("spec", "concurrencyPolicy"),
                     f"unknown concurrencyPolicy '{cron.concurrency_policy}'",
                     did_you_mean(cron.concurrency_policy, ("Allow", "Forbid", "Replace"),
                                  "use Allow, Forbid or Replace"))

    def workflow_template_ref(self) -> WorkflowSpec | None:
        ref = self.manifest.spec.workflow_template_ref
        if ref is None:
            for template in self.manifest.spec.templates:
                self.templates.setdefault(template.name, template)
            return None
        for template in self.manifest.spec.templates:
            self.templates.setdefault(template.name, template)
        found = self.resolver.find(ref.name, ref.cluster_scope)
        if found is None:
            kind = "ClusterWorkflowTemplate" if ref.cluster_scope else "WorkflowTemplate"
            self.add((*self.base, "workflowTemplateRef", "name"),
                     f"no {kind} named '{ref.name}' was found",
                     did_you_mean(ref.name, self.resolver.names(ref.cluster_scope),
                                  f"give its file too, or put it next to {self.manifest.file}"))
        return found.spec if found else None

    def name_rule(self, name: str, path: KeyPath, what: str) -> None:
        if name and not _NAME.match(name) and "{{" not in name:
            self.add(path, f"the {what} name '{name}' has characters Argo does not allow",
                     "use letters, digits and '-', starting with a letter or digit")

    def unique_templates(self) -> None:
        seen: set[str] = set()
        for index, template in enumerate(self.manifest.spec.templates):
            path = (*self.base, "templates", index)
            self.name_rule(template.name, (*path, "name"), "template")
            if not template.name:
                self.add(path, "the template has no name", "add 'name:'")
            elif template.name in seen:
                self.add((*path, "name"), f"the template name '{template.name}' is used twice",
                         "rename one of them")
            seen.add(template.name)

    def unique(self, names: Iterable[str], path: KeyPath, what: str) -> None:
        seen: set[str] = set()
        for index, name in enumerate(names):
            if name and name in seen:
                self.add((*path, index, "name"), f"the {what} '{name}' is declared twice",
                         "remove or rename one of them")
            seen.add(name)

    def entrypoint(self, inherited: str | None) -> None:
        spec = self.manifest.spec
        entrypoint = spec.entrypoint or inherited
        if entrypoint:
            if spec.entrypoint:
                self.template_name(entrypoint, (*self.base, "entrypoint"), "entrypoint")
        elif isinstance(self.manifest, Workflow | CronWorkflow) and \
                spec.workflow_template_ref is None:
            choices = ", ".join(t.name for t in spec.templates[:5])
            self.add(self.base, "the workflow has no entrypoint",
                     f"add 'entrypoint:' naming the template to start ({choices})")

    def template_name(self, name: str, path: KeyPath, what: str) -> Template | None:
        found = self.templates.get(name)
        if found is None:
            self.add(path, f"{what} names unknown template '{name}'",
                     did_you_mean(name, self.templates, "define it under spec.templates"))
        return found

    def template_ref(self, ref: TemplateRef, path: KeyPath) -> Template | None:
        kind = "ClusterWorkflowTemplate" if ref.cluster_scope else "WorkflowTemplate"
        if not ref.name or not ref.template:
            self.add(path, "templateRef needs both 'name' and 'template'",
                     f"name the {kind} and the template inside it")
            return None
        holder = self.resolver.find(ref.name, ref.cluster_scope)
        if holder is None:
            self.add((*path, "name"), f"no {kind} named '{ref.name}' was found",
                     did_you_mean(ref.name, self.resolver.names(ref.cluster_scope),
                                  f"give its file too, or put it next to {self.manifest.file}"))
            return None
        found = holder.spec.template(ref.template)
        if found is None:
            self.add((*path, "template"),
                     f"{kind} '{ref.name}' has no template '{ref.template}'",
                     did_you_mean(ref.template, (t.name for t in holder.spec.templates),
                                  f"use one of the templates in {holder.file}"))
        return found

    def hooks(self, hooks: dict[str, LifecycleHook] | object, path: KeyPath) -> None:
        if not isinstance(hooks, dict):
            return
        for name, hook in hooks.items():
            hook_path = (*path, name)
            if hook.template:
                self.template_name(hook.template, (*hook_path, "template"), f"hook '{name}'")
            elif hook.template_ref:
                self.template_ref(hook.template_ref, (*hook_path, "templateRef"))
            else:
                self.add(hook_path, f"hook '{name}' runs no template",
                         "add 'template:' or 'templateRef:'")
            if name != "exit" and not hook.expression:
                self.add(hook_path, f"hook '{name}' has no expression",
                         "add 'expression:' saying when it runs, or name it 'exit'")

    def template(self, template: Template, path: KeyPath) -> None:
        kinds = [k for k in ("container", "script", "steps", "dag", "suspend", "resource",
                             "http", "data", "plugin", "containerSet")
                 if template.raw.get(k) is not None]
        if not kinds:
            self.add(path, f"template '{template.name}' has nothing to run",
                     "give it one of container, script, steps, dag or suspend")
        elif len(kinds) > 1:
            self.add((*path, kinds[1]),
                     f"template '{template.name}' has both {kinds[0]} and {kinds[1]}",
                     "keep one; a template does exactly one kind of work")
        self.unique((p.name for p in template.inputs.parameters),
                    (*path, "inputs", "parameters"), "input parameter")
        self.unique((a.name for a in template.inputs.artifacts),
                    (*path, "inputs", "artifacts"), "input artifact")
        self.unique((p.name for p in template.outputs.parameters),
                    (*path, "outputs", "parameters"), "output parameter")
        self.unique((a.name for a in template.outputs.artifacts),
                    (*path, "outputs", "artifacts"), "output artifact")
        for index, parameter in enumerate(template.outputs.parameters):
            if parameter.value is None and parameter.value_from is None:
                self.add((*path, "outputs", "parameters", index),
                         f"output parameter '{parameter.name}' has no value",
                         "add 'valueFrom:' (path, parameter, expression) or 'value:'")
        if template.steps is not None:
            self.steps(template.steps, (*path, "steps"))
        if template.dag is not None:
            self.dag(template.dag, (*path, "dag"))
        VariableChecker(self, template, path).check()

    def steps(self, groups: Sequence[Sequence[Step]], path: KeyPath) -> None:
        seen: set[str] = set()
        for g, group in enumerate(groups):
            for i, step in enumerate(group):
                step_path = (*path, g, i)
                if step.name in seen:
                    self.add((*step_path, "name"), f"the step name '{step.name}' is used twice",
                             "rename one of them")
                seen.add(step.name)
                self.call(step, step_path, "step")

    def dag(self, dag: Dag, path: KeyPath) -> None:
        names = [t.name for t in dag.tasks]
        known = set(names)
        edges: dict[str, list[str]] = {}
        for index, task in enumerate(dag.tasks):
            task_path = (*path, "tasks", index)
            if task.name in names[:index]:
                self.add((*task_path, "name"), f"the task name '{task.name}' is used twice",
                         "rename one of them")
            self.call(task, task_path, "task")
            edges.setdefault(task.name, []).extend(self.task_dependencies(task, task_path,
                                                                          known))
        cycle = find_cycle(edges)
        if cycle is not None:
            first = names.index(cycle[0]) if cycle[0] in names else 0
            self.add((*path, "tasks", first), "the DAG has a cycle: " + " -> ".join(cycle),
                     "remove one of these dependencies")
        for target in (dag.target or "").split():
            if target not in known:
                self.add((*path, "target"), f"target names unknown task '{target}'",
                         did_you_mean(target, known, "name tasks of this DAG"))

    def task_dependencies(self, task: DagTask, path: KeyPath, known: set[str]) -> list[str]:
        found: list[str] = []
        if task.depends is not None and task.dependencies:
            self.add((*path, "depends"), f"task '{task.name}' has both depends and dependencies",
                     "keep one (dependencies: [A, B] is depends: \"A && B\")")
        for index, name in enumerate(task.dependencies):
            if name in known:
                found.append(name)
            else:
                self.add((*path, "dependencies", index), f"unknown task '{name}'",
                         did_you_mean(name, known, "name a task of this DAG"))
        if task.depends is not None:
            try:
                expression = parse_depends(task.depends)
            except ExpressionSyntaxError as error:
                message, _, hint = str(error).partition("; ")
                self.add((*path, "depends"), f"bad depends expression: {message}",
                         hint or "write task names with .Succeeded/.Failed/... joined by "
                         "&&, || and !", offset=error.offset)
                return found
            for name in expression.referenced_tasks():
                if name in known:
                    found.append(name)
                else:
                    offset = re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", task.depends)
                    self.add((*path, "depends"), f"depends names unknown task '{name}'",
                             did_you_mean(name, known, "name a task of this DAG"),
                             offset=offset.start() if offset else None)
        return found

    def call(self, step: Step, path: KeyPath, what: str) -> None:
        """Checks shared by steps and DAG tasks: name, what they call, when, loops, hooks."""
        if not step.name:
            self.add(path, f"the {what} has no name", "add 'name:'")
        self.name_rule(step.name, (*path, "name"), what)
        targets = [k for k, v in (("template", step.template), ("templateRef", step.template_ref),
                                  ("inline", step.inline)) if v is not None]
        callee: Template | None = None
        if not targets:
            self.add(path, f"{what} '{step.name}' calls no template",
                     "add 'template:' naming one of spec.templates")
        elif len(targets) > 1:
            self.add((*path, targets[1]), f"{what} '{step.name}' has both {targets[0]} and "
                     f"{targets[1]}", "keep one of them")
        elif step.template is not None:
            callee = self.template_name(step.template, (*path, "template"),
                                        f"{what} '{step.name}'")
        elif step.template_ref is not None:
            callee = self.template_ref(step.template_ref, (*path, "templateRef"))
        elif step.inline is not None:
            callee = step.inline
            self.template(step.inline, (*path, "inline"))
        if callee is not None:
            self.arguments_for(step, callee, path, what)
        if step.when is not None:
            try:
                check_condition(step.when)
            except ExpressionSyntaxError as error:
                message, _, hint = str(error).partition("; ")
                self.add((*path, "when"), f"bad when condition: {message}",
                         hint or "compare values with ==, !=, <, >, =~ and join with &&, ||",
                         offset=error.offset)
        if step.on_exit:
            self.template_name(step.on_exit, (*path, "onExit"), f"{what} '{step.name}' onExit")
        self.hooks(step.hooks, (*path, "hooks"))
        self.loops(step, path, what)

    def arguments_for(self, step: Step, callee: Template, path: KeyPath, what: str) -> None:
        given = {p.name for p in step.arguments.parameters}
        callee_name = f"template '{callee.name}'" if callee.name else "its inline template"
        for parameter in callee.inputs.parameters:
            needed = parameter.value is None and parameter.default is None and \
                parameter.value_from is None
            if needed and parameter.name not in given:
                self.add(path, f"{what} '{step.name}' does not pass input parameter "
                         f"'{parameter.name}' that {callee_name} needs",
                         "add it under arguments.parameters, or give the input a default")

    def loops(self, step: Step, path: KeyPath, what: str) -> None:
        used = [k for k, v in (("withItems", step.with_items), ("withParam", step.with_param),
                               ("withSequence", step.with_sequence)) if v is not None]
        if len(used) > 1:
            self.add((*path, used[1]), f"{what} '{step.name}' has both {used[0]} and {used[1]}",
                     "loop over one of them")
        if step.with_param is not None and "{{" not in step.with_param:
            try:
                value = json.loads(step.with_param)
            except ValueError:
                value = None
            if not isinstance(value, list):
                self.add((*path, "withParam"), "withParam is neither a JSON list nor a variable",
                         "use withItems for a literal list, or a variable such as "
                         "'{{steps.gen.outputs.result}}'")
        sequence = step.with_sequence
        if sequence is not None:
            if sequence.count is not None and sequence.end is not None:
                self.add((*path, "withSequence"), "withSequence has both count and end",
                         "give either count or end (with an optional start)")
            for key in ("count", "start", "end"):
                value = getattr(sequence, key)
                if isinstance(value, str) and "{{" not in value and not _INT_TEXT.match(value):
                    self.add((*path, "withSequence", key), f"withSequence {key} '{value}' is "
                             "not a number", "write a whole number or a {{...}} variable")


def check_semantics(manifest: Manifest, document: Document,
                    resolver: TemplateResolver) -> list[ManifestProblem]:
    """Semantic problems of one manifest (names, references, DAG shape, expressions)."""
    return SemanticChecker(manifest, document, resolver).check()
