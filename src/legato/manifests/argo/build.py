"""Builds the typed model (`argo.model`) from a loaded YAML document. Lenient on purpose: a
value of the wrong shape becomes "absent" here and is reported by the schema layer, so the
semantic checks can still run over the rest and every problem is reported at once."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .loader import Document
from .model import (
    MANIFEST_KINDS,
    POD_FIELDS,
    Arguments,
    Artifact,
    Backoff,
    Container,
    ContinueOn,
    CronSpec,
    CronWorkflow,
    Dag,
    DagTask,
    EnvVar,
    Inputs,
    LifecycleHook,
    Manifest,
    Memoize,
    Metadata,
    Outputs,
    Parameter,
    RetryStrategy,
    Sequence,
    Step,
    Suspend,
    Synchronization,
    Template,
    TemplateRef,
    ValueFrom,
    WorkflowSpec,
    WorkflowTemplateRef,
)
from .problems import KeyPath, Position


def text(value: Any) -> str | None:
    """A YAML scalar as Argo's string: `5` → "5", `true` → "true"; lists and maps as JSON."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _map(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _int_or_text(value: Any) -> int | str | None:
    if isinstance(value, bool):
        return text(value)
    return value if isinstance(value, int) else text(value) if value is not None else None


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(s for s in (text(v) for v in _list(value)) if s is not None)


def _labels(value: Any) -> dict[str, str]:
    return {str(k): text(v) or "" for k, v in _map(value).items()}


class ModelBuilder:
    """Turns one Document into a Manifest; `build_manifest` returns None for a non-Argo one."""

    def __init__(self, document: Document) -> None:
        self.doc = document

    def pos(self, path: KeyPath) -> Position:
        return self.doc.source.value(path)

    def manifest(self) -> Manifest | None:
        data = self.doc.data
        if not isinstance(data, dict):
            return None
        cls = MANIFEST_KINDS.get(str(data.get("kind")))
        if cls is None:
            return None
        meta = self.metadata(data.get("metadata"), ("metadata",))
        common: dict[str, Any] = {
            "api_version": text(data.get("apiVersion")) or "",
            "metadata": meta,
            "file": self.doc.file,
            "document": self.doc.index,
            "raw": data,
            "pos": self.pos(()),
        }
        spec = _map(data.get("spec"))
        if cls is CronWorkflow:
            path: KeyPath = ("spec", "workflowSpec")
            return CronWorkflow(spec=self.workflow_spec(spec.get("workflowSpec"), path),
                                cron=self.cron(spec, ("spec",)), **common)
        return cls(spec=self.workflow_spec(spec, ("spec",)), **common)

    def metadata(self, value: Any, path: KeyPath) -> Metadata:
        data = _map(value)
        return Metadata(
            name=text(data.get("name")), generate_name=text(data.get("generateName")),
            namespace=text(data.get("namespace")), labels=_labels(data.get("labels")),
            annotations=_labels(data.get("annotations")), pos=self.pos(path),
        )

    def cron(self, data: Mapping[str, Any], path: KeyPath) -> CronSpec:
        schedules = _strings(data.get("schedules"))
        single = text(data.get("schedule"))  # the one-schedule form of Argo 3.x
        if single and single not in schedules:
            schedules = (single, *schedules)
        return CronSpec(
            schedules=schedules, timezone=text(data.get("timezone")),
            concurrency_policy=text(data.get("concurrencyPolicy")) or "Allow",
            starting_deadline_seconds=_int(data.get("startingDeadlineSeconds")),
            suspend=bool(_bool(data.get("suspend"))),
            successful_jobs_history_limit=_int(data.get("successfulJobsHistoryLimit")),
            failed_jobs_history_limit=_int(data.get("failedJobsHistoryLimit")),
            when=text(data.get("when")),
            stop_strategy=data.get("stopStrategy") if isinstance(data.get("stopStrategy"),
                                                                 dict) else None,
            workflow_metadata=data.get("workflowMetadata")
            if isinstance(data.get("workflowMetadata"), dict) else None,
            pos=self.pos(path),
        )

    def workflow_spec(self, value: Any, path: KeyPath) -> WorkflowSpec:
        data = _map(value)
        ref = _map(data.get("workflowTemplateRef"))
        return WorkflowSpec(
            entrypoint=text(data.get("entrypoint")),
            arguments=self.arguments(data.get("arguments"), (*path, "arguments")),
            templates=tuple(
                self.template(t, (*path, "templates", i))
                for i, t in enumerate(_list(data.get("templates"))) if isinstance(t, dict)
            ),
            on_exit=text(data.get("onExit")),
            hooks=self.hooks(data.get("hooks"), (*path, "hooks")),
            parallelism=_int(data.get("parallelism")),
            active_deadline_seconds=_int(data.get("activeDeadlineSeconds")),
            service_account_name=text(data.get("serviceAccountName")),
            workflow_template_ref=WorkflowTemplateRef(
                name=text(ref.get("name")) or "", cluster_scope=bool(ref.get("clusterScope")),
                pos=self.pos((*path, "workflowTemplateRef")),
            ) if ref else None,
            retry_strategy=self.retry(data.get("retryStrategy"), (*path, "retryStrategy")),
            synchronization=self.synchronization(data.get("synchronization"),
                                                 (*path, "synchronization")),
            template_defaults=_map(data.get("templateDefaults")) or None,
            ttl_strategy=_map(data.get("ttlStrategy")) or None,
            pod_gc=_map(data.get("podGC")) or None,
            volumes=tuple(_map(v) for v in _list(data.get("volumes"))),
            volume_claim_templates=tuple(_map(v) for v in
                                         _list(data.get("volumeClaimTemplates"))),
            raw=data, pos=self.pos(path),
        )

    def parameter(self, value: Any, path: KeyPath) -> Parameter:
        data = _map(value)
        source = _map(data.get("valueFrom"))
        return Parameter(
            name=text(data.get("name")) or "", value=text(data.get("value")),
            default=text(data.get("default")), enum=_strings(data.get("enum")),
            description=text(data.get("description")), global_name=text(data.get("globalName")),
            value_from=ValueFrom(
                path=text(source.get("path")), parameter=text(source.get("parameter")),
                default=text(source.get("default")), expression=text(source.get("expression")),
                json_path=text(source.get("jsonPath")), jq_filter=text(source.get("jqFilter")),
                event=text(source.get("event")), supplied="supplied" in source,
                raw=source, pos=self.pos((*path, "valueFrom")),
            ) if source else None,
            pos=self.pos(path),
        )

    def artifact(self, value: Any, path: KeyPath) -> Artifact:
        data = _map(value)
        raw_data = _map(data.get("raw"))
        return Artifact(
            name=text(data.get("name")) or "", path=text(data.get("path")),
            from_=text(data.get("from")), from_expression=text(data.get("fromExpression")),
            raw_data=text(raw_data.get("data")) if raw_data else None,
            s3_key=text(_map(data.get("s3")).get("key")),
            optional=bool(_bool(data.get("optional"))), global_name=text(data.get("globalName")),
            mode=_int(data.get("mode")), sub_path=text(data.get("subPath")),
            archive=_map(data.get("archive")) or None, raw=data, pos=self.pos(path),
        )

    def _params(self, data: Mapping[str, Any], path: KeyPath) -> tuple[Parameter, ...]:
        return tuple(self.parameter(p, (*path, "parameters", i))
                     for i, p in enumerate(_list(data.get("parameters"))))

    def _artifacts(self, data: Mapping[str, Any], path: KeyPath) -> tuple[Artifact, ...]:
        return tuple(self.artifact(a, (*path, "artifacts", i))
                     for i, a in enumerate(_list(data.get("artifacts"))))

    def arguments(self, value: Any, path: KeyPath) -> Arguments:
        data = _map(value)
        return Arguments(parameters=self._params(data, path),
                         artifacts=self._artifacts(data, path), pos=self.pos(path))

    def inputs(self, value: Any, path: KeyPath) -> Inputs:
        data = _map(value)
        return Inputs(parameters=self._params(data, path),
                      artifacts=self._artifacts(data, path), pos=self.pos(path))

    def outputs(self, value: Any, path: KeyPath) -> Outputs:
        data = _map(value)
        return Outputs(parameters=self._params(data, path),
                       artifacts=self._artifacts(data, path), result=text(data.get("result")),
                       exit_code=text(data.get("exitCode")), pos=self.pos(path))

    def container(self, value: Any, path: KeyPath) -> Container | None:
        if not isinstance(value, dict):
            return None
        return Container(
            image=text(value.get("image")), command=_strings(value.get("command")),
            args=_strings(value.get("args")),
            env=tuple(
                EnvVar(name=text(_map(e).get("name")) or "", value=text(_map(e).get("value")),
                       value_from=_map(_map(e).get("valueFrom")) or None,
                       pos=self.pos((*path, "env", i)))
                for i, e in enumerate(_list(value.get("env")))
            ),
            working_dir=text(value.get("workingDir")), source=text(value.get("source")),
            raw=value, pos=self.pos(path),
        )

    def template_ref(self, value: Any, path: KeyPath) -> TemplateRef | None:
        if not isinstance(value, dict):
            return None
        return TemplateRef(name=text(value.get("name")) or "",
                           template=text(value.get("template")) or "",
                           cluster_scope=bool(_bool(value.get("clusterScope"))),
                           pos=self.pos(path))

    def hooks(self, value: Any, path: KeyPath) -> dict[str, LifecycleHook]:
        return {
            str(name): LifecycleHook(
                template=text(_map(hook).get("template")),
                template_ref=self.template_ref(_map(hook).get("templateRef"),
                                               (*path, name, "templateRef")),
                arguments=self.arguments(_map(hook).get("arguments"),
                                         (*path, name, "arguments")),
                expression=text(_map(hook).get("expression")), pos=self.pos((*path, name)),
            )
            for name, hook in _map(value).items()
        }

    def retry(self, value: Any, path: KeyPath) -> RetryStrategy | None:
        if not isinstance(value, dict):
            return None
        backoff = _map(value.get("backoff"))
        factor = backoff.get("factor")
        return RetryStrategy(
            limit=_int_or_text(value.get("limit")), retry_policy=text(value.get("retryPolicy")),
            backoff=Backoff(
                duration=text(backoff.get("duration")),
                factor=factor if isinstance(factor, int | float) and not isinstance(
                    factor, bool) else text(factor),
                max_duration=text(backoff.get("maxDuration")), cap=text(backoff.get("cap")),
                pos=self.pos((*path, "backoff")),
            ) if backoff else None,
            expression=text(value.get("expression")),
            affinity=_map(value.get("affinity")) or None, pos=self.pos(path),
        )

    def synchronization(self, value: Any, path: KeyPath) -> Synchronization | None:
        if not isinstance(value, dict):
            return None
        mutexes = [_map(m) for m in _list(value.get("mutexes"))]
        semaphores = [_map(s) for s in _list(value.get("semaphores"))]
        if isinstance(value.get("mutex"), dict):  # Argo 3.5's single mutex
            mutexes.insert(0, value["mutex"])
        if isinstance(value.get("semaphore"), dict):
            semaphores.insert(0, value["semaphore"])
        return Synchronization(
            mutexes=tuple(n for n in (text(m.get("name")) for m in mutexes) if n),
            semaphores=tuple(semaphores), raw=value, pos=self.pos(path),
        )

    def step(self, value: Any, path: KeyPath, cls: type[Step] = Step) -> Step:
        data = _map(value)
        items = data.get("withItems")
        sequence = data.get("withSequence")
        continue_on = data.get("continueOn")
        fields: dict[str, Any] = {
            "name": text(data.get("name")) or "",
            "template": text(data.get("template")),
            "template_ref": self.template_ref(data.get("templateRef"), (*path, "templateRef")),
            "inline": self.template(data["inline"], (*path, "inline"))
            if isinstance(data.get("inline"), dict) else None,
            "arguments": self.arguments(data.get("arguments"), (*path, "arguments")),
            "when": text(data.get("when")),
            "with_items": tuple(items) if isinstance(items, list) else None,
            "with_param": text(data.get("withParam")),
            "with_sequence": Sequence(
                count=_int_or_text(sequence.get("count")),
                start=_int_or_text(sequence.get("start")),
                end=_int_or_text(sequence.get("end")), format=text(sequence.get("format")),
                pos=self.pos((*path, "withSequence")),
            ) if isinstance(sequence, dict) else None,
            "continue_on": ContinueOn(
                error=bool(_bool(continue_on.get("error"))),
                failed=bool(_bool(continue_on.get("failed"))),
                pos=self.pos((*path, "continueOn")),
            ) if isinstance(continue_on, dict) else None,
            "on_exit": text(data.get("onExit")),
            "hooks": self.hooks(data.get("hooks"), (*path, "hooks")),
            "pos": self.pos(path),
        }
        if cls is DagTask:
            fields["dependencies"] = _strings(data.get("dependencies"))
            fields["depends"] = text(data.get("depends"))
        return cls(**fields)

    def template(self, value: Any, path: KeyPath) -> Template:
        data = _map(value)
        steps = data.get("steps")
        dag = data.get("dag")
        suspend = data.get("suspend")
        memoize = data.get("memoize")
        metadata = _map(data.get("metadata"))
        return Template(
            name=text(data.get("name")) or "",
            inputs=self.inputs(data.get("inputs"), (*path, "inputs")),
            outputs=self.outputs(data.get("outputs"), (*path, "outputs")),
            container=self.container(data.get("container"), (*path, "container")),
            script=self.container(data.get("script"), (*path, "script")),
            steps=tuple(
                tuple(self.step(s, (*path, "steps", g, i)) for i, s in enumerate(group))
                for g, group in enumerate(steps) if isinstance(group, list)
            ) if isinstance(steps, list) else None,
            dag=Dag(
                tasks=tuple(
                    t for t in (self.step(t, (*path, "dag", "tasks", i), DagTask)
                                for i, t in enumerate(_list(dag.get("tasks"))))
                    if isinstance(t, DagTask)
                ),
                fail_fast=_bool(dag.get("failFast")), target=text(dag.get("target")),
                pos=self.pos((*path, "dag")),
            ) if isinstance(dag, dict) else None,
            suspend=Suspend(duration=text(_map(suspend).get("duration")),
                            pos=self.pos((*path, "suspend")))
            if isinstance(suspend, dict) else None,
            retry_strategy=self.retry(data.get("retryStrategy"), (*path, "retryStrategy")),
            timeout=text(data.get("timeout")),
            active_deadline_seconds=_int_or_text(data.get("activeDeadlineSeconds")),
            parallelism=_int_or_text(data.get("parallelism")),
            fail_fast=_bool(data.get("failFast")),
            memoize=Memoize(
                key=text(memoize.get("key")) or "", max_age=text(memoize.get("maxAge")),
                cache_name=text(_map(_map(memoize.get("cache")).get("configMap")).get("name")),
                pos=self.pos((*path, "memoize")),
            ) if isinstance(memoize, dict) else None,
            synchronization=self.synchronization(data.get("synchronization"),
                                                 (*path, "synchronization")),
            daemon=bool(_bool(data.get("daemon"))),
            labels=_labels(metadata.get("labels")),
            annotations=_labels(metadata.get("annotations")),
            pod_fields={k: data[k] for k in POD_FIELDS if k in data},
            raw=data, pos=self.pos(path),
        )


def build_manifest(document: Document) -> Manifest | None:
    """The typed manifest of one document, or None when it is not one of Argo's four kinds."""
    return ModelBuilder(document).manifest()
