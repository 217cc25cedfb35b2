"""`@task` and the Task object: call it in a flow to run it, `.submit()` for a future,
`.map()` to fan out. Options follow Prefect 3's, so Prefect code ports by changing imports."""

from __future__ import annotations

import hashlib
import inspect
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from typing import Any, Generic, TypeVar, overload

import orjson
from typing_extensions import ParamSpec

from legato.core.events import MAX_RESOURCE
from legato.core.retry import build_retry_policy
from legato.engine import calls, pickling
from legato.engine.context import TaskRunContext, current_flow_run
from legato.engine.futures import LegatoFuture, LegatoFutureList
from legato.engine.specs import Hook, TaskSpec
from legato.errors import DefinitionError

P = ParamSpec("P")
R = TypeVar("R")


def _check_hooks(owner: str, name: str, hooks: Iterable[Hook] | None) -> tuple[Hook, ...]:
    hooks = tuple(hooks or ())
    for hook in hooks:
        if not callable(hook):
            raise DefinitionError(f"{owner} got {name}={hook!r}; give a list of callables.")
    return hooks


def _check_timeout(owner: str, timeout: float | None) -> float | None:
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise DefinitionError(f"{owner} got timeout_seconds={timeout!r}; give seconds > 0.")
    return float(timeout)


def _check_produces(owner: str, produces: Iterable[str] | None) -> tuple[str, ...]:
    if produces is None:
        return ()
    if isinstance(produces, str):
        produces = [produces]
    assets = tuple(produces)
    for asset in assets:
        if not isinstance(asset, str) or "://" not in asset or len(asset) > MAX_RESOURCE:
            raise DefinitionError(
                f"{owner} got produces={asset!r}; give asset URLs with a scheme, such as "
                f"'s3://bucket/key' or 'file:///data/out.csv' (at most {MAX_RESOURCE} characters)."
            )
    return assets


class Task(Generic[P, R]):
    """A function run as tracked task runs inside flows. Create it with `@task`."""

    def __init__(
        self,
        fn: Callable[P, R],
        *,
        name: str | None = None,
        description: str | None = None,
        tags: Iterable[str] | None = None,
        version: str | None = None,
        retries: int | None = None,
        retry_delay_seconds: float | Sequence[float] | Callable[[int], Sequence[float]] | None = None,
        retry_jitter_factor: float | None = None,
        retry_max_delay_seconds: float | None = None,
        retry_condition_fn: Callable[[Any, Any, Any], bool] | None = None,
        timeout_seconds: float | None = None,
        cache_key_fn: Callable[[TaskRunContext, dict[str, Any]], str | None] | None = None,
        cache_expiration: timedelta | None = None,
        refresh_cache: bool | None = None,
        outputs: Sequence[str] | Callable[..., Sequence[str] | str] | None = None,
        produces: Iterable[str] | None = None,
        log_prints: bool | None = None,
        on_completion: Iterable[Hook] | None = None,
        on_failure: Iterable[Hook] | None = None,
        persist_result: bool | None = None,
    ) -> None:
        if not callable(fn):
            raise DefinitionError(f"@task got {fn!r}, which is not a function; decorate a function.")
        self.fn = fn
        self.name: str = name or str(getattr(fn, "__name__", "task"))
        owner = f"@task {self.name!r}"
        self.description = description or inspect.getdoc(fn)
        self.tags = tuple(tags or ())
        self.version = version
        self.isasync = inspect.iscoroutinefunction(fn)
        if cache_expiration is not None and not isinstance(cache_expiration, timedelta):
            raise DefinitionError(
                f"{owner} got cache_expiration={cache_expiration!r}; give a datetime.timedelta."
            )
        if isinstance(outputs, str):
            outputs = [outputs]
        if retry_condition_fn is not None and not callable(retry_condition_fn):
            raise DefinitionError(f"{owner} got a retry_condition_fn that is not callable.")
        if cache_key_fn is not None and not callable(cache_key_fn):
            raise DefinitionError(f"{owner} got a cache_key_fn that is not callable.")
        self._options: dict[str, Any] = dict(
            name=name, description=description, tags=tags, version=version, retries=retries,
            retry_delay_seconds=retry_delay_seconds, retry_jitter_factor=retry_jitter_factor,
            retry_max_delay_seconds=retry_max_delay_seconds,
            retry_condition_fn=retry_condition_fn, timeout_seconds=timeout_seconds,
            cache_key_fn=cache_key_fn, cache_expiration=cache_expiration,
            refresh_cache=refresh_cache, outputs=outputs, produces=produces,
            log_prints=log_prints,
            on_completion=on_completion, on_failure=on_failure, persist_result=persist_result,
        )
        self.retries = retries or 0
        signature = inspect.signature(fn)
        self.spec = TaskSpec(
            name=self.name, fn=fn, is_async=self.isasync,
            retry=build_retry_policy(owner, retries, retry_delay_seconds,
                                     max_delay=retry_max_delay_seconds,
                                     jitter_factor=retry_jitter_factor),
            owner=self, tags=self.tags, timeout_seconds=_check_timeout(owner, timeout_seconds),
            retry_condition_fn=retry_condition_fn, cache_key_fn=cache_key_fn,
            cache_expiration=cache_expiration, refresh_cache=bool(refresh_cache),
            outputs=outputs, produces=_check_produces(owner, produces),
            log_prints=log_prints, persist_result=persist_result,
            on_completion=_check_hooks(owner, "on_completion", on_completion),
            on_failure=_check_hooks(owner, "on_failure", on_failure),
            parameter_names=tuple(signature.parameters),
        )
        self.__doc__ = fn.__doc__
        self.__name__ = getattr(fn, "__name__", self.name)
        self.__qualname__ = getattr(fn, "__qualname__", self.name)
        self.__module__ = getattr(fn, "__module__", __name__)
        self.__wrapped__ = fn

    def with_options(self, **changes: Any) -> Task[P, R]:
        """A copy of this task with some options changed."""
        options = {**self._options, **changes}
        return Task(self.fn, **options)

    @overload
    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R: ...

    @overload
    def __call__(self, *args: Any, return_state: bool = ..., wait_for: Iterable[Any] | None = ...,
                 **kwargs: Any) -> Any: ...

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run the task. Inside a flow this is a tracked task run; outside, a plain call.

        `return_state=True` returns the State; `wait_for=[futures]` adds dependencies."""
        return_state: bool = kwargs.pop("return_state", False)
        wait_for: Iterable[Any] | None = kwargs.pop("wait_for", None)
        if current_flow_run() is None:
            return self.fn(*args, **kwargs)
        if self.isasync and _loop_running():
            import asyncio  # imported already: an event loop is running

            return asyncio.to_thread(calls.call_task, self.spec, args, kwargs,
                                     return_state=return_state, wait_for=wait_for)
        return calls.call_task(self.spec, args, kwargs, return_state=return_state,
                               wait_for=wait_for)

    @overload
    def submit(self, *args: P.args, **kwargs: P.kwargs) -> LegatoFuture[R]: ...

    @overload
    def submit(self, *args: Any, **kwargs: Any) -> Any: ...

    def submit(self, *args: Any, **kwargs: Any) -> Any:
        """Run the task on the flow's task runner; return a future at once."""
        return_state: bool = kwargs.pop("return_state", False)
        wait_for: Iterable[Any] | None = kwargs.pop("wait_for", None)
        return calls.submit_task(self.spec, args, kwargs, wait_for=wait_for,
                                 return_state=return_state)

    def map(self, *args: Any, return_state: bool = False,
            wait_for: Iterable[Any] | None = None, **kwargs: Any) -> LegatoFutureList[R]:
        """One task run per element of the iterable arguments; `unmapped(x)` passes x whole."""
        futures: LegatoFutureList[R] = calls.map_task(self.spec, args, kwargs, wait_for=wait_for)
        if return_state:
            futures.wait()
            return [f.state for f in futures]  # type: ignore[return-value]
        return futures

    def __repr__(self) -> str:
        return f"Task(name={self.name!r})"


def _loop_running() -> bool:
    # No event loop can run in a process that has not imported asyncio, and importing it
    # just to ask would cost every run's process about 20 ms.
    asyncio = sys.modules.get("asyncio")
    if asyncio is None:
        return False
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


@overload
def task(__fn: Callable[P, R]) -> Task[P, R]: ...


@overload
def task(
    __fn: None = None, **options: Any
) -> Callable[[Callable[P, R]], Task[P, R]]: ...


def task(__fn: Callable[P, R] | None = None, **options: Any) -> Any:
    """Make a function a task: `@task` or `@task(retries=2, retry_delay_seconds=5)`.

    >>> @task(retries=1)
    ... def double(x: int) -> int:
    ...     return 2 * x
    >>> double(2)  # outside a flow, a plain call
    4
    """
    if __fn is not None:
        return Task(__fn, **options)
    return lambda fn: Task(fn, **options)


def task_input_hash(context: TaskRunContext, arguments: dict[str, Any]) -> str | None:
    """A cache key from the task's code and its arguments (for `cache_key_fn=`); None when
    an argument cannot be hashed, which disables caching for that call."""
    fn = context.spec.fn
    code = getattr(fn, "__code__", None)
    digest = hashlib.sha256()
    digest.update(context.spec.name.encode())
    if code is not None:
        digest.update(code.co_code)
        digest.update(repr(code.co_consts).encode())
    try:
        digest.update(orjson.dumps(arguments, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS,
                                   default=_default))
    except TypeError:
        try:
            digest.update(pickling.cloudpickle().dumps(arguments))
        except Exception:
            return None
    return digest.hexdigest()


def _default(value: Any) -> Any:
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    if isinstance(value, tuple):
        return list(value)
    raise TypeError
