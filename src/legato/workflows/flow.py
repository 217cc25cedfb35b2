"""A YAML workflow as a flow of the engine: `YamlFlow` offers what the runtime asks of a
Python Flow (parameters, validation, the engine's FlowSpec with the manifest text as the
pinned source), so `legato run`, retries, deployments and workers treat both alike."""

from __future__ import annotations

import difflib
import hashlib
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from legato.core.retry import RetryPolicy
from legato.core.workflow_templates import TEMPLATE_KINDS, WorkflowTemplateSource
from legato.engine.specs import FlowSpec
from legato.errors import ManifestError, ParameterError, UserCodeError
from legato.manifests.argo.build import build_manifest
from legato.manifests.argo.exprfuncs import to_string
from legato.manifests.argo.loader import load_text
from legato.manifests.argo.model import Manifest, Step, Template, WorkflowSpec
from legato.manifests.argo.problems import raise_for
from legato.manifests.argo.resolve import LocalTemplateResolver
from legato.manifests.argo.validate import validate_text
from legato.settings import Settings
from legato.workflows.images import ImageMap
from legato.workflows.isolation import ENV_VAR as ISOLATION_ENV
from legato.workflows.isolation import isolation_mode
from legato.workflows.runner import RunOptions, WorkflowRun

YAML_SUFFIXES = (".yaml", ".yml")
RUNNABLE = ("Workflow", "CronWorkflow", "WorkflowTemplate", "ClusterWorkflowTemplate")


def split_entrypoint(entrypoint: str) -> tuple[str, str | None]:
    """`wf.yaml:main` -> ("wf.yaml", "main"); `wf.yaml` -> ("wf.yaml", None)."""
    if entrypoint.lower().endswith(YAML_SUFFIXES):
        return entrypoint, None
    path, _, template = entrypoint.rpartition(":")
    return path, template or None


SCRATCH_ENV = "LEGATO_SCRATCH_DIR"


def scratch_base(settings: Settings, env: Mapping[str, str] | None = None) -> Path:
    """Where steps' scratch trees go: LEGATO_SCRATCH_DIR, else a tmpfs (/dev/shm) when there
    is one, else LEGATO_HOME/scratch. Scratch trees are short-lived and cost a few directory
    operations per step, which a disk filesystem makes the biggest part of a small step."""
    env = os.environ if env is None else env
    if env.get(SCRATCH_ENV):
        return Path(env[SCRATCH_ENV])
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        return shm / f"legato-scratch-{os.getuid()}"
    return settings.home / "scratch"


class _Schema:
    """The part of a Flow's ParameterSchema the runtime and deploy use."""

    def __init__(self, owner: YamlFlow) -> None:
        self.owner = owner

    def validate(self, values: Mapping[str, Any], *, partial: bool = False) -> dict[str, str]:
        return self.owner.validate_parameters(values, partial=partial)

    def to_json(self, values: Mapping[str, Any], *, strict: bool) -> dict[str, Any]:
        return {k: to_string(v) for k, v in values.items()}


class YamlFlow:
    """One runnable Argo manifest; calling `run_workflow` runs it inside a flow run."""

    isasync = False
    should_validate_parameters = True
    version: str | None = None

    def __init__(self, manifest: Manifest, source: str, path: str, *,
                 entrypoint: str | None = None, settings: Settings | None = None,
                 templates: Mapping[str, Manifest] | None = None,
                 images: ImageMap | None = None) -> None:
        self.manifest = manifest
        self.source = source
        self.path = path
        self.template_entry = entrypoint
        self.settings = settings or Settings.from_env()
        self.templates = dict(templates or {})
        self.images = images or ImageMap.from_env()
        self.isolation = isolation_mode(os.environ.get(ISOLATION_ENV))
        self.spec_ = _effective_spec(manifest, self.templates)
        if entrypoint is not None and self.spec_.template(entrypoint) is None:
            names = [t.name for t in self.spec_.templates]
            close = difflib.get_close_matches(entrypoint, names, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"templates: {', '.join(names)}."
            raise ManifestError(f"{path}: --entrypoint {entrypoint!r} is not a template; {hint}")
        self.name = manifest.name
        self.description = f"Argo {manifest.kind} {manifest.name!r} from {path}"
        self.entrypoint = f"{path}:{entrypoint}" if entrypoint else path
        self.schema = _Schema(self)
        self._spec: FlowSpec | None = None

    @property
    def arguments(self) -> dict[str, str | None]:
        return {p.name: p.value if p.value is not None else p.default
                for p in self.spec_.arguments.parameters}

    @property
    def parameters(self) -> dict[str, Any]:
        """JSON schema of the workflow's arguments: every one a string, as in Argo."""
        properties: dict[str, Any] = {}
        required: list[str] = []
        for param in self.spec_.arguments.parameters:
            entry: dict[str, Any] = {"type": "string", "title": param.name}
            value = param.value if param.value is not None else param.default
            if value is not None:
                entry["default"] = value
            else:
                required.append(param.name)
            if param.enum:
                entry["enum"] = list(param.enum)
            if param.description:
                entry["description"] = param.description
            properties[param.name] = entry
        schema: dict[str, Any] = {"type": "object", "title": self.name,
                                  "properties": properties}
        if required:
            schema["required"] = required
        return schema

    def validate_parameters(self, values: Mapping[str, Any], *,
                            partial: bool = False) -> dict[str, str]:
        """Every argument as a string, defaults filled in; ParameterError lists unknown or
        missing names and values outside an enum. `partial` leaves out arguments not given
        (a deployment's defaults, completed by each run)."""
        known = self.arguments
        errors: list[tuple[str, str]] = []
        result: dict[str, str] = {}
        # As with `argo submit -p`, a parameter may also be an input of the entry template.
        entry = self.spec_.template(self.template_entry or self.spec_.entrypoint or "")
        inputs = {p.name for p in entry.inputs.parameters} if entry is not None else set()
        for name, value in values.items():
            if name not in known and name not in inputs:
                close = difflib.get_close_matches(name, list(known), n=1)
                hint = f"did you mean {close[0]!r}" if close else \
                    f"the workflow takes {', '.join([*known, *sorted(inputs)]) or 'no parameters'}"
                errors.append((name, f"unknown parameter; {hint}"))
                continue
            result[name] = to_string(value)
        enums = {p.name: p.enum for p in self.spec_.arguments.parameters if p.enum}
        for name, default in known.items():
            if partial and name not in result:
                continue
            if name not in result:
                if default is None:
                    errors.append((name, "required; pass -p " + name + "=VALUE"))
                    continue
                result[name] = default
            if name in enums and result[name] not in enums[name]:
                errors.append((name, f"{result[name]!r} is not one of {', '.join(enums[name])}"))
        if errors:
            detail = "; ".join(f"{k}: {m}" for k, m in errors)
            raise ParameterError(f"workflow {self.name!r} got invalid parameters — {detail}.",
                                 errors)
        return result

    def spec(self) -> FlowSpec:
        if self._spec is None:
            self._spec = FlowSpec(
                name=self.name, fn=self.run_workflow, is_async=False, retry=RetryPolicy(),
                owner=self, description=self.description,
                tags=("yaml",), source=self.source,
                source_hash=hashlib.sha256(self.source.encode()).hexdigest(),
                entrypoint=self.entrypoint)
        return self._spec

    def run_workflow(self, **parameters: Any) -> dict[str, Any]:
        """The flow function: run the workflow with validated parameters."""
        options = RunOptions(
            parameters={k: to_string(v) for k, v in parameters.items()},
            entrypoint=self.template_entry, scratch_root=scratch_base(self.settings),
            artifacts_url=self.settings.results_url, images=self.images,
            templates=self.templates, isolation=self.isolation)
        manifest = self.manifest
        if manifest.spec is not self.spec_:
            manifest = _with_spec(manifest, self.spec_)
        return WorkflowRun(manifest, options).execute()

    def __repr__(self) -> str:
        return f"YamlFlow(name={self.name!r}, path={self.path!r})"


def _with_spec(manifest: Manifest, spec: WorkflowSpec) -> Manifest:
    from dataclasses import replace

    return replace(manifest, spec=spec)


def _effective_spec(manifest: Manifest, templates: Mapping[str, Manifest]) -> WorkflowSpec:
    """The spec to run: a `workflowTemplateRef` takes the template's spec with the
    workflow's own arguments (and entrypoint, if set) on top."""
    spec = manifest.spec
    ref = spec.workflow_template_ref
    if ref is None:
        return spec
    source = templates.get(ref.name)
    if source is None:
        raise ManifestError(f"{manifest.file}: workflowTemplateRef {ref.name!r} is not loaded; "
                            "pass its file with --templates or put it in the same file.")
    from dataclasses import replace

    base = source.spec
    mine = {p.name: p for p in spec.arguments.parameters}
    merged = tuple(mine.pop(p.name, p) for p in base.arguments.parameters) + tuple(mine.values())
    arguments = replace(base.arguments, parameters=merged)
    return replace(base, arguments=arguments, entrypoint=spec.entrypoint or base.entrypoint,
                   on_exit=spec.on_exit or base.on_exit)


def load_manifests_text(text: str, path: str) -> list[Manifest]:
    """Validated manifests of a YAML text; ManifestError with every problem otherwise."""
    checked = validate_text(text, path)
    raise_for(checked.problems)
    return checked.manifests


def read_sources(path: str, extra: Sequence[str] = ()) -> str:
    """The text of a workflow file followed by template files (the pinned source)."""
    texts = []
    for file in (path, *extra):
        try:
            texts.append(Path(file).read_text(encoding="utf-8"))
        except OSError as exc:
            raise UserCodeError(f"cannot read {file} ({exc.strerror}); check the path.") from None
    return "\n---\n".join(t.rstrip("\n") for t in texts) + "\n"


def _referenced(manifests: Iterable[Manifest]) -> set[tuple[str, bool]]:
    """(name, cluster scope) of every template a manifest's templateRefs name."""
    found: set[tuple[str, bool]] = set()

    def steps_of(template: Template) -> Iterable[Step]:
        for group in template.steps or ():
            yield from group
        if template.dag is not None:
            yield from template.dag.tasks

    for manifest in manifests:
        ref = manifest.spec.workflow_template_ref
        if ref is not None:
            found.add((ref.name, ref.cluster_scope))
        for template in manifest.spec.templates:
            for step in steps_of(template):
                if step.template_ref is not None:
                    found.add((step.template_ref.name, step.template_ref.cluster_scope))
    return found


def _complete(text: str, path: str, given: Sequence[str], *, nearby: bool,
              remote: WorkflowTemplateSource | None) -> str:
    """The text plus the templates it refers to that it does not hold: from the files beside
    the workflow (as `legato validate` finds them, with `nearby`), then from the templates
    registered with the server (`remote`), each appended with its version, so the pinned
    source is complete and later changes on the server do not alter this version's runs."""
    documents, _ = load_text(text, path)
    manifests = [m for m in map(build_manifest, documents) if m is not None]
    resolver = LocalTemplateResolver(manifests, search_dirs=[Path(path).resolve().parent]
                                     if nearby else [])
    resolver.skip_files(given)
    have = {(m.name, m.kind == TEMPLATE_KINDS[1]) for m in manifests if m.kind in TEMPLATE_KINDS}
    files: list[str] = []
    fetched: dict[str, str] = {}  # source hash -> the text appended for it
    wanted = _referenced(manifests)
    for _ in range(20):  # templates may refer to templates; bounded against cycles
        new: list[Manifest] = []
        for name, cluster in sorted(wanted - have):
            found = resolver.find(name, cluster)
            if found is not None and found.file not in given:
                have.add((name, cluster))
                new.append(found)
                if found.file not in files:
                    files.append(found.file)
                continue
            record = remote.read_workflow_template(name, cluster_scope=cluster) \
                if remote is not None and found is None else None
            if record is None:
                continue
            have.add((name, cluster))
            if record.source_hash not in fetched:
                fetched[record.source_hash] = (
                    f"# {record.kind} {record.name} version {record.version} "
                    f"(sha256 {record.source_hash[:12]}), registered with the server\n"
                    + record.source.rstrip("\n"))
                docs, _ = load_text(record.source, f"<{record.kind} {record.name}>")
                new.extend(m for m in map(build_manifest, docs) if m is not None)
        if not new:
            break
        have.update((m.name, m.kind == TEMPLATE_KINDS[1]) for m in new
                    if m.kind in TEMPLATE_KINDS)
        wanted = _referenced(new)
    extra = [Path(f).read_text(encoding="utf-8").rstrip("\n") for f in files]
    extra += list(fetched.values())
    if not extra:
        return text
    return text.rstrip("\n") + "\n---\n" + "\n---\n".join(extra) + "\n"


def load_yaml_flow(entrypoint: str, source: str | None = None, *,
                   templates: Sequence[str] = (), settings: Settings | None = None,
                   backend: object | None = None) -> YamlFlow:
    """The YamlFlow of `wf.yaml[:TEMPLATE]`: from `source` (a run's pinned text) or the file
    (plus template files), validated before anything runs. A templateRef found in no file is
    looked up among the templates registered with the server when `backend` can read them
    (`core.workflow_templates.WorkflowTemplateSource`).

    >>> flow = load_yaml_flow("examples/yaml/hello-world.yaml")  # doctest: +SKIP
    """
    path, template = split_entrypoint(entrypoint)
    remote = backend if isinstance(backend, WorkflowTemplateSource) else None
    if source is None:
        text = read_sources(path, templates)
        text = _complete(text, path, [path, *templates], nearby=True, remote=remote)
    else:
        text = _complete(source, path, [path], nearby=False, remote=remote) if remote else source
    manifests = load_manifests_text(text, path)
    registry = {m.name: m for m in manifests if m.kind in TEMPLATE_KINDS}
    runnable = [m for m in manifests if m.kind in ("Workflow", "CronWorkflow")] or \
        [m for m in manifests if m.kind in TEMPLATE_KINDS]
    if not runnable:
        raise ManifestError(f"{path}:1:1: the file holds no Workflow to run; add a Workflow, "
                            "CronWorkflow or WorkflowTemplate.")
    return YamlFlow(runnable[0], text, path, entrypoint=template, settings=settings,
                    templates=registry)
