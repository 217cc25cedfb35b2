"""What `legato.serve` and `Flow.to_deployment` hand around: a flow with the deployment
options it should be served under (name, schedule, default parameters, tags)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FlowDeployment:
    """A flow to deploy: at most one of cron, interval (seconds) or rrule in `timezone`.

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
