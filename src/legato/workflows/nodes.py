"""Node outcomes of a YAML workflow run and the variables they publish: a node's phase
(Argo's Succeeded, Failed, Errored, Skipped, Omitted), its outputs, and for loops the
aggregated outputs of its children (`steps.X.outputs.parameters` as a JSON list)."""

from __future__ import annotations

import contextvars
import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")
OK_PHASES = ("Succeeded", "Skipped", "Omitted")


@dataclass
class NodeResult:
    """How one node (a step, a task, a loop, a whole template) ended."""

    phase: str
    outputs: dict[str, Any] = field(default_factory=dict)
    message: str = ""
    children: list[NodeResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.phase in OK_PHASES


def aggregate(children: Sequence[NodeResult]) -> NodeResult:
    """The node of a loop: failed if any child failed, outputs aggregated as JSON lists."""
    failed = [c for c in children if not c.ok]
    phase = "Succeeded" if not failed else failed[0].phase
    params: list[dict[str, Any]] = []
    by_name: dict[str, list[Any]] = {}
    results: list[Any] = []
    for child in children:
        if child.phase != "Succeeded":
            continue
        values = child.outputs.get("parameters") or {}
        params.append(dict(values))
        for name, value in values.items():
            by_name.setdefault(name, []).append(_json_value(value))
        if "result" in child.outputs:
            results.append(_json_value(child.outputs["result"]))
    outputs: dict[str, Any] = {
        "parameters": {name: json.dumps(v) for name, v in by_name.items()},
        "parameters_list": json.dumps(params),
        "result": json.dumps(results),
    }
    message = failed[0].message if failed else ""
    return NodeResult(phase, outputs, message, list(children))


def _json_value(text: Any) -> Any:
    """Loop outputs that are JSON aggregate as JSON values, as Argo does."""
    if not isinstance(text, str):
        return text
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return value if isinstance(value, (dict, list)) else text


def publish(prefix: str, node: NodeResult) -> dict[str, Any]:
    """The variables a finished node gives its siblings: `{prefix}.outputs.result`,
    `.outputs.parameters.X`, `.outputs.artifacts.X`, `.exitCode`, `.status`."""
    scope: dict[str, Any] = {f"{prefix}.status": node.phase}
    outputs = node.outputs
    if "result" in outputs:
        scope[f"{prefix}.outputs.result"] = outputs["result"]
    if "exitCode" in outputs:
        scope[f"{prefix}.exitCode"] = outputs["exitCode"]
    for name, value in (outputs.get("parameters") or {}).items():
        scope[f"{prefix}.outputs.parameters.{name}"] = value
    if "parameters_list" in outputs:
        scope[f"{prefix}.outputs.parameters"] = outputs["parameters_list"]
    for name, value in (outputs.get("artifacts") or {}).items():
        scope[f"{prefix}.outputs.artifacts.{name}"] = value
    return scope


def run_parallel(calls: Sequence[Callable[[], T]], limit: int | None) -> list[T]:
    """Run calls on threads (each in a copy of the caller's context, so the flow run is
    visible), at most `limit` at once; results in call order. One call runs inline."""
    if len(calls) == 1:
        return [calls[0]()]
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []
    gate = threading.BoundedSemaphore(limit) if limit else None
    threads: list[threading.Thread] = []

    def worker(index: int, call: Callable[[], T]) -> None:
        try:
            results[index] = call()
        except BaseException as exc:  # re-raised on the calling thread below
            errors.append(exc)
        finally:
            if gate is not None:
                gate.release()

    for index, call in enumerate(calls):
        if gate is not None:
            gate.acquire()
        context = contextvars.copy_context()
        thread = threading.Thread(target=context.run, args=(worker, index, call), daemon=True,
                                  name=f"legato-yaml-{index}")
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


def failure_record(path: str, template: str, node: NodeResult) -> Mapping[str, Any]:
    """One entry of `{{workflow.failures}}`."""
    return {"displayName": path.rsplit(".", 1)[-1], "message": node.message,
            "templateName": template, "phase": node.phase, "podName": path,
            "exitCode": node.outputs.get("exitCode")}
