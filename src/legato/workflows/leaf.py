"""A container or script step as one task run of the engine: the task function substitutes
the step's `{{...}}` per attempt (so `{{retries}}` counts), runs the process in a fresh
scratch tree, and returns the step's outputs; retryStrategy becomes the task's retry policy."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from legato._clock import Clock
from legato.core.retry import RetryPolicy
from legato.engine.context import current_task_run
from legato.engine.run_logging import get_run_logger
from legato.engine.specs import TaskSpec
from legato.errors import CancelledRun, ConfigError, LegatoError, ManifestError
from legato.manifests.argo.exprlang import ExprError
from legato.manifests.argo.exprlang import evaluate as evaluate_expr
from legato.manifests.argo.model import Container, RetryStrategy, Template
from legato.manifests.argo.templating import nest, substitute
from legato.workflows.artifacts import ArtifactStore
from legato.workflows.durations import parse_duration
from legato.workflows.executor import ProcessSpec, run_process
from legato.workflows.images import ImageMap
from legato.workflows.scratch import Scratch
from legato.workflows.spawner import Spawner


class StepFailed(LegatoError):
    """A step's program exited non-zero (Argo's Failed)."""

    def __init__(self, message: str, exit_code: int | None, outputs: Mapping[str, Any]) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.outputs = dict(outputs)
        self.phase = "Failed"


class StepErrored(StepFailed):
    """A step could not run at all: bad image, missing output, deadline (Argo's Errored)."""

    def __init__(self, message: str, outputs: Mapping[str, Any] | None = None) -> None:
        super().__init__(message, None, outputs or {})
        self.phase = "Errored"


@dataclass
class LeafCall:
    """What one step's task run needs; `first_start` is set by its first attempt."""

    template: Template
    scope: dict[str, Any]
    path: str
    scratch_root: Path
    images: ImageMap
    artifacts: ArtifactStore
    deadline: Callable[[], float | None]
    cancel: threading.Event
    clock: Clock
    mounts: frozenset[str] = frozenset()
    spawner: Spawner | None = None  # starts steps in mount namespaces (see `spawner`)
    # The process environment as the run started, as bytes (reading os.environ decodes
    # every value, and subprocess would encode each again per step).
    environment: Mapping[bytes, bytes] | None = None
    first_start: float | None = None
    attempt_seconds: list[float] = field(default_factory=list)


def run_leaf(call: LeafCall) -> dict[str, Any]:
    """The task function: one attempt of a container or script step."""
    task = current_task_run()
    attempt = task.task_run.attempts if task is not None else 1
    now = call.clock.monotonic()
    if call.first_start is None:
        call.first_start = now
    scope = {**call.scope, "retries": str(attempt - 1)}
    template = call.template
    body = template.script or template.container
    where = f"template {template.name!r} (step {call.path})"
    if body is None:
        raise StepErrored(f"{where} has no container or script to run.")
    scratch = Scratch(call.scratch_root.with_name(f"{call.scratch_root.name}.{attempt}"),
                      mounted=call.mounts)
    log = get_run_logger()
    try:
        spec = _process_spec(body, scope, where)
        scratch.used.update(_marked_prefixes(template))
        scratch.create()
        call.artifacts.stage_inputs(template, scope, scratch, where)
    except (ManifestError, ConfigError) as exc:
        raise StepErrored(str(exc)) from None
    remaining = call.deadline()
    limit = _timeout(template, scope, where)
    timeout = min(x for x in (remaining, limit) if x is not None) if (
        remaining is not None or limit is not None) else None
    try:
        toolbox = call.images.toolbox(body.image, where)

        def emit(line: str, is_err: bool) -> None:
            log.line(logging.WARNING if is_err else logging.INFO, line)

        result = run_process(spec, toolbox, scratch, emit, timeout=timeout, cancel=call.cancel,
                             base_env=call.environment, spawner=call.spawner)
    except ConfigError as exc:
        raise StepErrored(str(exc)) from None
    finally:
        call.attempt_seconds.append(call.clock.monotonic() - now)
    outputs: dict[str, Any] = {"exitCode": str(result.exit_code), "result": result.stdout}
    if result.cancelled:
        raise CancelledRun(f"{where} was stopped: the workflow run was cancelled")
    if result.timed_out:
        raise StepFailed(f"{where} ran past its deadline ({timeout:g} s) and was stopped.",
                         result.exit_code, outputs)
    try:
        outputs["parameters"] = _output_parameters(template, scope, scratch, where,
                                                   result.exit_code == 0)
        if result.exit_code == 0:
            outputs["artifacts"] = call.artifacts.collect_outputs(template, scope, scratch,
                                                                  call.path, where)
    except (ManifestError, ConfigError) as exc:
        raise StepErrored(str(exc), outputs) from None
    if result.exit_code != 0:
        raise StepFailed(f"{where} exited with code {result.exit_code}.", result.exit_code,
                         outputs)
    scratch.remove()
    return outputs


# Container paths each template's texts use (before substitution: the same for all its
# steps), by template object; the template is kept so that its id stays its own.
_marks: dict[int, tuple[Template, frozenset[str]]] = {}


def _marked_prefixes(template: Template) -> frozenset[str]:
    """The container directories the step's programs and outputs use, so the scratch tree
    has them before the program starts."""
    found = _marks.get(id(template))
    if found is None or found[0] is not template:
        probe = Scratch(Path("/"))
        body = template.script or template.container
        texts = [*(body.command if body else ()), *(body.args if body else ()),
                 body.source or "" if body else "", body.working_dir or "" if body else ""]
        texts += [p.value_from.path for p in template.outputs.parameters
                  if p.value_from is not None and p.value_from.path]
        texts += [a.path for a in (*template.outputs.artifacts, *template.inputs.artifacts)
                  if a.path]
        texts += [e.value for e in (body.env if body else ()) if e.value]
        for text in texts:
            probe.rewrite(text)
        if len(_marks) > 4096:  # templates of runs long gone
            _marks.clear()
        found = _marks[id(template)] = (template, frozenset(probe.used))
    return found[1]


def _process_spec(body: Container, scope: Mapping[str, Any], where: str) -> ProcessSpec:
    env = {e.name: substitute(e.value or "", scope, f"{where} env {e.name}") for e in body.env
           if e.value_from is None}
    return ProcessSpec(
        image=substitute(body.image or "", scope, f"{where} image"),
        command=[substitute(c, scope, f"{where} command") for c in body.command],
        args=[substitute(a, scope, f"{where} args") for a in body.args],
        env=env,
        working_dir=substitute(body.working_dir, scope, where) if body.working_dir else None,
        source=substitute(body.source, scope, f"{where} source") if body.source is not None
        else None,
        where=where,
    )


def _timeout(template: Template, scope: Mapping[str, Any], where: str) -> float | None:
    limits: list[float] = []
    if template.timeout:
        limits.append(parse_duration(substitute(template.timeout, scope, where), where))
    if template.active_deadline_seconds is not None:
        raw = substitute(str(template.active_deadline_seconds), scope, where)
        limits.append(parse_duration(raw, where))
    return min(limits) if limits else None


def _output_parameters(template: Template, scope: Mapping[str, Any], scratch: Scratch,
                       where: str, succeeded: bool) -> dict[str, str]:
    values: dict[str, str] = {}
    for param in template.outputs.parameters:
        source = param.value_from
        value: str | None = None
        if source is not None and source.path:
            file = scratch.path(substitute(source.path, scope, where))
            try:
                value = file.read_text(encoding="utf-8", errors="replace").rstrip("\n") \
                    if file.is_file() else None
            except OSError:
                value = None
            if value is None:
                value = source.default
            if value is None and succeeded:
                raise ManifestError(
                    f"{where}: output parameter {param.name!r} reads {source.path}, which the "
                    "step did not write; write the file or give valueFrom.default.")
        elif param.value is not None:
            value = substitute(param.value, scope, where)
        if value is not None:
            values[param.name] = value
    return values


# -- retryStrategy ----------------------------------------------------------------------
_POLICIES = {"Always", "OnFailure", "OnError", "OnTransientError"}
_TRANSIENT = re.compile(r"timeout|temporar|connection|reset|refused|unavailable", re.I)


def retry_policy(strategy: RetryStrategy | None, scope: Mapping[str, Any],
                 where: str) -> tuple[RetryPolicy, Callable[[Any, Any, Any], bool] | None]:
    """The engine retry policy and retry condition for a step's retryStrategy."""
    if strategy is None:
        return RetryPolicy(), None
    limit_text = substitute(str(strategy.limit), scope, where) if strategy.limit is not None \
        else None
    try:
        # No limit means retry without end in Argo; locally that is capped for safety.
        limit = int(limit_text) if limit_text is not None else 10
    except ValueError:
        raise ManifestError(f"{where}: retryStrategy.limit {limit_text!r} is not a whole "
                            "number; give a count such as 3.") from None
    limit = max(limit, 0)
    policy = strategy.retry_policy or "OnFailure"
    if policy not in _POLICIES:
        raise ManifestError(f"{where}: retryStrategy.retryPolicy {policy!r} is unknown; use "
                            f"one of {', '.join(sorted(_POLICIES))}.")
    delays: list[float] = [0.0]
    max_total: float | None = None
    backoff = strategy.backoff
    if backoff is not None and backoff.duration:
        base = parse_duration(substitute(backoff.duration, scope, where), where)
        factor = float(substitute(str(backoff.factor), scope, where)) if backoff.factor else 1.0
        cap = parse_duration(backoff.cap, where) if backoff.cap else None
        delays = [base * factor ** i for i in range(max(limit, 1))]
        if cap is not None:
            delays = [min(d, cap) for d in delays]
        if backoff.max_duration:
            max_total = parse_duration(substitute(backoff.max_duration, scope, where), where)
    expression = strategy.expression

    def condition(_owner: Any, _info: Any, state: Any) -> bool:
        exc = state.result(raise_on_failure=False)
        phase = getattr(exc, "phase", "Errored")
        if policy == "OnFailure" and phase != "Failed":
            return False
        if policy == "OnError" and phase != "Errored":
            return False
        if policy == "OnTransientError" and not (phase == "Errored" and _TRANSIENT.search(
                str(exc))):
            return False
        call = _current_call()
        if max_total is not None and call is not None and call.first_start is not None and \
                call.clock.monotonic() - call.first_start >= max_total:
            return False
        if expression:
            return _retry_expression(expression, exc, phase, call, where)
        return True

    return RetryPolicy(retries=limit, delays=tuple(delays)), condition


def _current_call() -> LeafCall | None:
    task = current_task_run()
    if task is None:
        return None
    found = task.parameters.get("call")
    return found if isinstance(found, LeafCall) else None


def _retry_expression(expression: str, exc: Any, phase: str, call: LeafCall | None,
                      where: str) -> bool:
    last = {
        "exitCode": str(getattr(exc, "exit_code", None) if getattr(exc, "exit_code", None)
                        is not None else -1),
        "status": phase,
        "duration": str(int(call.attempt_seconds[-1])) if call and call.attempt_seconds else "0",
        "message": str(exc),
    }
    env = nest({**(call.scope if call else {}), **{f"lastRetry.{k}": v for k, v in last.items()}})
    try:
        value = evaluate_expr(expression, env)
    except ExprError as exc2:
        get_run_logger().error("%s: retryStrategy.expression: %s; not retrying", where, exc2)
        return False
    return value is True


def leaf_spec(template: Template, policy: RetryPolicy,
              condition: Callable[[Any, Any, Any], bool] | None,
              memo: tuple[str, float | None] | None = None) -> TaskSpec:
    """The engine's task definition for one step: retries, and `memoize` as the engine's
    result cache under the memoize key."""
    cache_key_fn = None
    expiration = None
    if memo is not None:
        key, max_age = memo
        cache_key_fn = lambda _ctx, _args: key  # noqa: E731
        expiration = timedelta(seconds=max_age) if max_age else None
    return TaskSpec(name=template.name, fn=run_leaf, is_async=False, retry=policy,
                    retry_condition_fn=condition, persist_result=True,
                    cache_key_fn=cache_key_fn, cache_expiration=expiration,
                    parameter_names=("call",))
