"""Node outcomes of a YAML workflow run and the variables they publish: a node's phase
(Argo's Succeeded, Failed, Errored, Skipped, Omitted), its outputs, and for loops the
aggregated outputs of its children (`steps.X.outputs.parameters` as a JSON list)."""

from __future__ import annotations

import contextvars
import hashlib
import json
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, TypeVar

from legato.workflows.node_threads import shared_threads

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


class NodePool:
    """Threads for the nodes of one workflow run, taken from the process's shared node
    threads (`node_threads`), so a node costs no thread start when one is idle."""

    def __init__(self) -> None:
        self.executor = shared_threads()

    def submit(self, call: Callable[[], T]) -> Future[T]:
        """Run `call` on a pool thread in a copy of the caller's context (the flow run)."""
        context = contextvars.copy_context()
        return self.executor.submit(lambda: context.run(call))

    def run_all(self, calls: Sequence[Callable[[], T]], limit: int | None) -> list[T]:
        """Run calls at most `limit` at once; results in call order. One call runs inline."""
        if len(calls) == 1:
            return [calls[0]()]
        gate = threading.BoundedSemaphore(limit) if limit else None

        def gated(call: Callable[[], T]) -> T:
            try:
                return call()
            finally:
                if gate is not None:
                    gate.release()

        futures: list[Future[T]] = []
        for call in calls:
            if gate is not None:
                gate.acquire()
            futures.append(self.submit(lambda c=call: gated(c)))  # type: ignore[misc]
        return [future.result() for future in futures]

    def close(self) -> None:
        """Nothing to stop: idle threads wait for the process's next run, then end."""


MAX_KEY = 240


def node_key(path: str) -> str:
    """The task key (and pause key) of a node: its path, or for a very deep path its start
    and a digest, so every key stays unique and fits the store's key columns.

    >>> node_key("main[0].hello")
    'main[0].hello'
    """
    if len(path) <= MAX_KEY:
        return path
    return f"{path[:MAX_KEY - 18]}~{hashlib.sha1(path.encode()).hexdigest()[:16]}"


def failure_record(path: str, template: str, node: NodeResult) -> Mapping[str, Any]:
    """One entry of `{{workflow.failures}}`."""
    return {"displayName": path.rsplit(".", 1)[-1], "message": node.message,
            "templateName": template, "phase": node.phase, "podName": path,
            "exitCode": node.outputs.get("exitCode")}
