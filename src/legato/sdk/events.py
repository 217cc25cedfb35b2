"""`emit_event`: record a custom event from a flow, a task or plain code, for triggers
("run deployment X when orders.created arrives") and for people reading `legato events ls`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from legato.core.events import EventRecord, NewEvent, flow_run_resource
from legato.engine.context import current_flow_run, current_task_run
from legato.sdk import runtime


def emit_event(
    name: str,
    payload: Mapping[str, Any] | None = None,
    *,
    resource: str | None = None,
    related: Sequence[str] = (),
) -> EventRecord:
    """Store an event now and return it. Inside a run, the flow run (and task run) are added
    to `related`, and `resource` defaults to the flow run.

    >>> emit_event("orders.loaded", {"date": "2026-01-31", "rows": 1200})  # doctest: +SKIP
    """
    flow_ctx = current_flow_run()
    links = list(related)
    if flow_ctx is not None:
        backend = flow_ctx.backend
        run_resource = flow_run_resource(flow_ctx.flow_run.id)
        resource = resource or run_resource
        links.append(run_resource)
        task_ctx = current_task_run()
        if task_ctx is not None:
            links.append(f"legato.task-run.{task_ctx.task_run.id}")
    else:
        backend = runtime.get_backend()
    event = NewEvent(name=name, payload=dict(payload or {}), resource=resource,
                     related=tuple(dict.fromkeys(links)))
    return backend.emit_event(event)
