"""`@flow` and the Flow object: calling it runs a tracked flow run (a subflow when called
inside another flow), with parameters validated from type hints."""

from __future__ import annotations

import hashlib
import inspect
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Generic, TypeVar, overload

from typing_extensions import ParamSpec

from legato import plugins
from legato.core.retry import build_retry_policy
from legato.engine import flow_engine
from legato.engine.context import current_flow_run
from legato.engine.specs import FlowSpec, Hook
from legato.engine.task_runners import TaskRunner
from legato.errors import DefinitionError
from legato.sdk import runtime
from legato.sdk.deployment_targets import FlowDeployment, active_runs_limit, trigger_list
from legato.sdk.parameters import ParameterSchema
from legato.sdk.tasks import _check_hooks, _check_timeout

P = ParamSpec("P")
R = TypeVar("R")
DEPLOY_FUNCTION = "legato.client.deploy:deploy"


class Flow(Generic[P, R]):
    """A function whose calls are tracked flow runs. Create it with `@flow`."""

    def __init__(
        self,
        fn: Callable[P, R],
        *,
        name: str | None = None,
        version: str | None = None,
        description: str | None = None,
        tags: Iterable[str] | None = None,
        retries: int | None = None,
        retry_delay_seconds: float | Sequence[float] | None = None,
        timeout_seconds: float | None = None,
        log_prints: bool | None = None,
        task_runner: TaskRunner | None = None,
        validate_parameters: bool = True,
        on_completion: Iterable[Hook] | None = None,
        on_failure: Iterable[Hook] | None = None,
        on_crashed: Iterable[Hook] | None = None,
        on_cancellation: Iterable[Hook] | None = None,
        persist_result: bool | None = None,
    ) -> None:
        if not callable(fn):
            raise DefinitionError(f"@flow got {fn!r}, which is not a function; decorate a function.")
        self.fn = fn
        self.name: str = name or str(getattr(fn, "__name__", "flow"))
        owner = f"@flow {self.name!r}"
        if task_runner is not None and not isinstance(task_runner, TaskRunner):
            if isinstance(task_runner, type) and issubclass(task_runner, TaskRunner):
                task_runner = task_runner()
            else:
                raise DefinitionError(
                    f"{owner} got task_runner={task_runner!r}; give a task runner such as "
                    "ThreadPoolTaskRunner(max_workers=8)."
                )
        self.version = version
        self.description = description or inspect.getdoc(fn)
        self.tags = tuple(tags or ())
        self.isasync = inspect.iscoroutinefunction(fn)
        self.task_runner = task_runner
        self.should_validate_parameters = validate_parameters
        self.timeout_seconds = _check_timeout(owner, timeout_seconds)
        self._retry = build_retry_policy(owner, retries, retry_delay_seconds)
        self.retries = retries or 0
        self.log_prints = bool(log_prints)
        self._hooks = {
            "on_completion": _check_hooks(owner, "on_completion", on_completion),
            "on_failure": _check_hooks(owner, "on_failure", on_failure),
            "on_crashed": _check_hooks(owner, "on_crashed", on_crashed),
            "on_cancellation": _check_hooks(owner, "on_cancellation", on_cancellation),
        }
        self._options: dict[str, Any] = dict(
            name=name, version=version, description=description, tags=tags, retries=retries,
            retry_delay_seconds=retry_delay_seconds, timeout_seconds=timeout_seconds,
            log_prints=log_prints, task_runner=task_runner,
            validate_parameters=validate_parameters, on_completion=on_completion,
            on_failure=on_failure, on_crashed=on_crashed, on_cancellation=on_cancellation,
            persist_result=persist_result,
        )
        self.schema = ParameterSchema(fn, owner)
        self.entrypoint: str | None = None
        self._spec: FlowSpec | None = None
        self.__doc__ = fn.__doc__
        self.__name__ = getattr(fn, "__name__", self.name)
        self.__qualname__ = getattr(fn, "__qualname__", self.name)
        self.__module__ = getattr(fn, "__module__", __name__)
        self.__wrapped__ = fn

    @property
    def parameters(self) -> dict[str, Any]:
        """JSON schema of the flow's parameters."""
        return self.schema.json_schema()

    def validate_parameters(self, values: dict[str, Any]) -> dict[str, Any]:
        """Coerce raw values (e.g. from the CLI or an API) to the parameters' types."""
        return self.schema.validate(values) if self.should_validate_parameters else dict(values)

    def with_options(self, **changes: Any) -> Flow[P, R]:
        """A copy of this flow with some options changed."""
        copy = Flow(self.fn, **{**self._options, **changes})
        copy.entrypoint = self.entrypoint
        return copy

    def spec(self) -> FlowSpec:
        """The engine's view of this flow (source read and hashed on first use)."""
        if self._spec is None:
            source, path = _module_source(self.fn)
            entrypoint = self.entrypoint or _entrypoint(self.fn, path)
            self._spec = FlowSpec(
                name=self.name, fn=self.fn, is_async=self.isasync, retry=self._retry,
                owner=self, version=self.version, description=self.description,
                tags=self.tags, timeout_seconds=self.timeout_seconds,
                log_prints=self.log_prints, task_runner=self.task_runner,
                source=source,
                source_hash=hashlib.sha256(source.encode()).hexdigest() if source else "",
                entrypoint=entrypoint, **self._hooks,
            )
        return self._spec

    def deploy(
        self,
        name: str,
        *,
        cron: str | None = None,
        interval: int | None = None,
        rrule: str | None = None,
        timezone: str = "UTC",
        parameters: dict[str, Any] | None = None,
        work_queue: str = "default",
        tags: Iterable[str] = (),
        paused: bool = False,
        priority: int = 0,
        max_active_runs: int | None = None,
        concurrency_limit: int | None = None,
        run_timeout_seconds: float | None = None,
        crash_retries: int = 0,
        description: str | None = None,
        api_url: str | None = None,
        triggers: Iterable[dict[str, Any]] | None = None,
    ) -> Any:
        """Deploy this flow to a server (LEGATO_API_URL unless `api_url`) with the options
        of `legato deploy`; see legato.deploy. `concurrency_limit` is another name for
        `max_active_runs`. `triggers` (dicts such as `{"flow": "etl"}` or
        `{"event": "orders.*"}`) replace the deployment's triggers when given.

        >>> hello.deploy("every-minute", cron="* * * * *", parameters={"name": "Ada"})
        """
        where = f"deployment {name!r} of flow {self.name!r}"
        # sdk sits below client in the layers, so the client's deploy is looked up by name.
        deploy = plugins.load_object(DEPLOY_FUNCTION)
        return deploy(
            self, name, cron=cron, interval=interval, rrule=rrule, timezone=timezone,
            parameters=parameters, work_queue=work_queue, tags=tags, paused=paused,
            priority=priority,
            max_active_runs=active_runs_limit(where, max_active_runs, concurrency_limit),
            run_timeout_seconds=run_timeout_seconds, crash_retries=crash_retries,
            description=description, api_url=api_url, triggers=trigger_list(where, triggers),
        )

    def to_deployment(
        self,
        name: str | None = None,
        *,
        cron: str | None = None,
        interval: int | None = None,
        rrule: str | None = None,
        timezone: str = "UTC",
        parameters: dict[str, Any] | None = None,
        tags: Iterable[str] = (),
        paused: bool = False,
        description: str | None = None,
        work_queue: str | None = None,
        priority: int = 0,
        max_active_runs: int | None = None,
        concurrency_limit: int | None = None,
        run_timeout_seconds: float | None = None,
        crash_retries: int = 0,
        triggers: Iterable[dict[str, Any]] | None = None,
    ) -> FlowDeployment:
        """This flow with deployment options, for `legato.serve` (name: the flow's name;
        work_queue: the queue `serve` listens to). The options are those of `deploy`.

        >>> legato.serve(etl.to_deployment("nightly", cron="0 2 * * *"), report)  # doctest: +SKIP
        """
        name = name or self.name
        where = f"deployment {name!r} of flow {self.name!r}"
        if isinstance(tags, str):
            raise DefinitionError(f"{where} got tags={tags!r}; pass a list of tags such as "
                                  "['etl'].")
        return FlowDeployment(
            self, name, cron, interval, rrule, timezone, dict(parameters or {}), tuple(tags),
            paused, description, work_queue=work_queue, priority=priority,
            max_active_runs=active_runs_limit(where, max_active_runs, concurrency_limit),
            run_timeout_seconds=run_timeout_seconds, crash_retries=crash_retries,
            triggers=trigger_list(where, triggers),
        )

    @overload
    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R: ...

    @overload
    def __call__(self, *args: Any, return_state: bool = ..., **kwargs: Any) -> Any: ...

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run the flow: validate parameters, create a flow run, call the function.

        `return_state=True` returns the final State instead of the result."""
        return_state: bool = kwargs.pop("return_state", False)
        values = self.schema.bind(args, kwargs)
        parameters = self.validate_parameters(values)
        runner = runtime.flow_runner(self, parameters, strict=current_flow_run() is None)
        if self.isasync:
            return _finish_async(runner, return_state)
        return _finish(flow_engine.run_sync(runner), return_state)

    def __repr__(self) -> str:
        return f"Flow(name={self.name!r})"


def _finish(state: Any, return_state: bool) -> Any:
    return state if return_state else state.result()


async def _finish_async(runner: flow_engine.FlowRunner, return_state: bool) -> Any:
    return _finish(await flow_engine.run_async(runner), return_state)


def _module_source(fn: Callable[..., Any]) -> tuple[str, str | None]:
    """The source of the file that defines the flow (tasks beside it are part of it)."""
    pinned = getattr(sys.modules.get(getattr(fn, "__module__", "")), "__legato_source__", None)
    path = inspect.getsourcefile(fn) if hasattr(fn, "__code__") else None
    if pinned is not None:
        return pinned, path
    if path and os.path.exists(path):
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read(), path
    try:
        return inspect.getsource(fn), path
    except (OSError, TypeError):
        return "", path


def _entrypoint(fn: Callable[..., Any], path: str | None) -> str | None:
    module = getattr(fn, "__module__", None)
    name = getattr(fn, "__name__", None)
    if module and module != "__main__" and not module.startswith("legato_user_"):
        return f"{module}:{name}"
    # A REPL, `python -c` or notebook cell reports a file name ("<stdin>") that is not a file.
    if path and os.path.isfile(path):
        return f"{os.path.abspath(path)}:{name}"
    return None


@overload
def flow(__fn: Callable[P, R]) -> Flow[P, R]: ...


@overload
def flow(__fn: None = None, **options: Any) -> Callable[[Callable[P, R]], Flow[P, R]]: ...


def flow(__fn: Callable[P, R] | None = None, **options: Any) -> Any:
    """Make a function a flow: `@flow` or `@flow(name="etl", retries=1, log_prints=True)`.

    Calling the flow runs it and returns its result (or its State with return_state=True).
    """
    if __fn is not None:
        return Flow(__fn, **options)
    return lambda fn: Flow(fn, **options)
