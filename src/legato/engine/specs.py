"""What the engine needs to know about a task or a flow: the function and its options.

The SDK's Task and Flow objects build these once, at decoration time."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from legato.core.retry import RetryPolicy

Hook = Callable[[Any, Any, Any], Any]


@dataclass(frozen=True, eq=False)
class TaskSpec:
    """A task definition. `owner` is the SDK object handed to hooks and cache-key functions."""

    name: str
    fn: Callable[..., Any]
    is_async: bool
    retry: RetryPolicy
    owner: Any = None
    tags: tuple[str, ...] = ()
    timeout_seconds: float | None = None
    retry_condition_fn: Callable[[Any, Any, Any], bool] | None = None
    cache_key_fn: Callable[[Any, dict[str, Any]], str | None] | None = None
    cache_expiration: timedelta | None = None
    refresh_cache: bool = False
    outputs: Sequence[str] | Callable[..., Sequence[str] | str] | None = None
    # Asset URLs (str.format templates over the call's parameters) a completed run updated.
    produces: tuple[str, ...] = ()
    log_prints: bool | None = None
    # None: persist when serializable (else warn, and a resumed run re-executes the task);
    # False: keep the result in memory only; True: an unserializable result fails the run.
    persist_result: bool | None = None
    on_completion: tuple[Hook, ...] = ()
    on_failure: tuple[Hook, ...] = ()
    parameter_names: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True, eq=False)
class FlowSpec:
    """A flow definition. `owner` is the SDK Flow object handed to hooks."""

    name: str
    fn: Callable[..., Any]
    is_async: bool
    retry: RetryPolicy
    owner: Any = None
    version: str | None = None
    description: str | None = None
    tags: tuple[str, ...] = ()
    timeout_seconds: float | None = None
    log_prints: bool = False
    task_runner: Any = None
    on_completion: tuple[Hook, ...] = ()
    on_failure: tuple[Hook, ...] = ()
    on_crashed: tuple[Hook, ...] = ()
    on_cancellation: tuple[Hook, ...] = ()
    source: str = ""
    source_hash: str = ""
    entrypoint: str | None = None
