"""What `legato.serve` and `Flow.to_deployment` hand around: a flow with the deployment
options it should be served under (name, schedule, default parameters, tags, triggers, work
queue, priority, concurrency and timeout), the same options `legato deploy` takes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from legato.errors import DefinitionError


@dataclass(frozen=True)
class FlowDeployment:
    """A flow to deploy: at most one of cron, interval (seconds) or rrule in `timezone`.
    `work_queue` None is the queue `serve` listens to; `triggers` None leaves a deployed
    deployment's triggers as they are, a list (even empty) replaces them.

    >>> hello.to_deployment("hourly", cron="0 * * * *")  # doctest: +SKIP
    """

    flow: Any
    name: str
    cron: str | None = None
    interval: int | None = None
    rrule: str | None = None
    timezone: str = "UTC"
    parameters: Mapping[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    paused: bool = False
    description: str | None = None
    work_queue: str | None = None
    priority: int = 0
    max_active_runs: int | None = None
    run_timeout_seconds: float | None = None
    crash_retries: int = 0
    triggers: tuple[Mapping[str, Any], ...] | None = None


def active_runs_limit(where: str, max_active_runs: int | None,
                      concurrency_limit: int | None) -> int | None:
    """The deployment's limit on runs going at once: `max_active_runs`, or Prefect's name
    for it, `concurrency_limit`; DefinitionError when both are given and differ.

    >>> active_runs_limit("deployment 'nightly'", None, 2)
    2
    """
    if concurrency_limit is None:
        return max_active_runs
    if max_active_runs is not None and max_active_runs != concurrency_limit:
        raise DefinitionError(
            f"{where} got max_active_runs={max_active_runs} and concurrency_limit="
            f"{concurrency_limit}; they name the same limit, give one of them."
        )
    return concurrency_limit


def trigger_list(where: str, triggers: Iterable[Mapping[str, Any]] | None,
                 ) -> tuple[Mapping[str, Any], ...] | None:
    """Triggers as a tuple of mappings (None: leave them as they are)."""
    if triggers is None:
        return None
    if isinstance(triggers, Mapping):
        raise DefinitionError(
            f"{where} got triggers={dict(triggers)!r}; pass a list of triggers such as "
            "[{'flow': 'etl'}]."
        )
    found = tuple(triggers)
    for i, trigger in enumerate(found):
        if not isinstance(trigger, Mapping):
            raise DefinitionError(
                f"{where} triggers[{i}] is {trigger!r}; give each trigger as a dict such as "
                "{'flow': 'etl'} or {'event': 'orders.*'}."
            )
    return found
