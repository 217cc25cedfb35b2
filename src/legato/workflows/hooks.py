"""Lifecycle hooks other than `exit`: a hook with an `expression` runs its template once, the
first time the expression holds where Legato looks — when the workflow (or step) starts, with
its status `Running`, and when it ends, with its final status."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from legato.engine.run_logging import get_run_logger
from legato.manifests.argo.exprlang import ExprError, evaluate
from legato.manifests.argo.model import LifecycleHook
from legato.manifests.argo.templating import nest

if TYPE_CHECKING:
    from legato.workflows.runner import WorkflowRun


def fire(run: WorkflowRun, hooks: Mapping[str, LifecycleHook], scope: Mapping[str, Any],
         path: str, fired: set[str]) -> bool:
    """Run each not yet fired expression hook whose expression holds; False if one failed."""
    ok = True
    env: dict[str, Any] | None = None
    for name, hook in hooks.items():
        if name == "exit" or name in fired or not hook.expression:
            continue
        env = env if env is not None else nest(scope)
        try:
            holds = evaluate(hook.expression, env) is True
        except ExprError as exc:
            get_run_logger().warning("%s: hook %r is skipped: %s", path, name, exc)
            fired.add(name)
            continue
        if holds:
            fired.add(name)
            node = run.call(hook.template, hook.template_ref, None, hook.arguments, scope,
                            f"{path}.hooks.{name}")
            ok = ok and node.ok
    return ok
