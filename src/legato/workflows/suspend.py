"""`suspend` templates: a duration waits as a task run of its own; no duration pauses the
flow run (the SDK's pause machinery) until `legato runs resume RUN_ID -i name=value`, the
API or the UI resumes it, and the supplied values become the template's output parameters."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from legato import plugins
from legato.core.retry import RetryPolicy
from legato.engine.calls import call_task_keyed
from legato.engine.context import current_flow_run
from legato.engine.specs import TaskSpec
from legato.errors import ConfigError, ManifestError
from legato.manifests.argo.exprfuncs import to_string
from legato.manifests.argo.model import Template
from legato.manifests.argo.templating import substitute
from legato.workflows.durations import parse_duration
from legato.workflows.nodes import NodeResult, node_key

if TYPE_CHECKING:
    from legato.workflows.runner import WorkflowRun

# legato.sdk is a sibling layer: its pause function is looked up by name, as the SDK itself
# looks up the client's deploy function.
PAUSE_FUNCTION = "legato.sdk.pauses:pause_flow_run"
INDEFINITE_SECONDS = 7 * 24 * 3600.0


def _wait(seconds: float) -> dict[str, Any]:
    flow = current_flow_run()
    assert flow is not None
    flow.clock.sleep(seconds)
    return {"parameters": {}}


_WAIT = TaskSpec(name="suspend", fn=_wait, is_async=False, retry=RetryPolicy(),
                 persist_result=True, parameter_names=("seconds",))


def run_suspend(run: WorkflowRun, template: Template, scope: dict[str, Any],
                path: str) -> NodeResult:
    suspend = template.suspend
    assert suspend is not None
    try:
        if suspend.duration:
            seconds = parse_duration(substitute(suspend.duration, scope, path), path)
            remaining = run.remaining()
            if remaining is not None:
                seconds = min(seconds, remaining)
            state = call_task_keyed(_WAIT, node_key(path), (seconds,), {})
            if state.type.value not in ("COMPLETED", "CACHED"):
                return run.errored(path, template.name, state.message or "the wait failed")
            return NodeResult("Succeeded", {"parameters": _outputs(template, {}, scope, path)})
        pause = plugins.load_object(PAUSE_FUNCTION)
        names = [p.name for p in template.outputs.parameters]
        description = (f"workflow step {path} is suspended" +
                       (f"; supply {', '.join(names)}" if names else ""))
        supplied = pause(dict[str, Any] if names else None, key=node_key(path),
                         timeout=INDEFINITE_SECONDS, description=description)
        values = {k: to_string(v) for k, v in (supplied or {}).items()}
        return NodeResult("Succeeded", {"parameters": _outputs(template, values, scope, path)})
    except (ManifestError, ConfigError) as exc:
        return run.errored(path, template.name, str(exc))


def _outputs(template: Template, supplied: dict[str, str], scope: dict[str, Any],
             path: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for param in template.outputs.parameters:
        if param.name in supplied:
            values[param.name] = supplied[param.name]
            continue
        source = param.value_from
        fallback = source.default if source is not None else None
        if fallback is None:
            fallback = param.value if param.value is not None else param.default
        if fallback is None:
            raise ManifestError(f"{path}: output parameter {param.name!r} of the suspend "
                                "template was not supplied on resume and has no default; resume "
                                f"with -i {param.name}=VALUE.")
        values[param.name] = substitute(fallback, scope, path)
    return values
