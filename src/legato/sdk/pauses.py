"""`pause_flow_run` and `suspend_flow_run`, as in Prefect 3: stop a flow run until a person
(the API, the UI or `legato runs resume`) resumes it, optionally with typed input. A paused
run's process waits; a suspended run's process ends, and the resumed run is rescheduled and
re-executed with its completed task runs reused, so the same call then returns the input."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, TypeVar, overload

from legato.core.pauses import InputStatus, PauseKind, PauseRequest, RunInputRecord
from legato.core.states import StateType
from legato.engine import run_logging
from legato.engine.context import FlowRunContext, current_flow_run, current_task_run
from legato.errors import CancelledRun, DefinitionError, ParameterError, PauseTimeout, Suspended

T = TypeVar("T")
DEFAULT_TIMEOUT = 3600.0
DEFAULT_POLL_SECONDS = 2.0


@overload
def pause_flow_run(wait_for_input: None = None, *, timeout: float = ..., poll_interval: float = ...,
                   key: str | None = ..., description: str | None = ...) -> None: ...
@overload
def pause_flow_run(wait_for_input: type[T], *, timeout: float = ..., poll_interval: float = ...,
                   key: str | None = ..., description: str | None = ...) -> T: ...
def pause_flow_run(wait_for_input: type[Any] | None = None, *, timeout: float = DEFAULT_TIMEOUT,
                   poll_interval: float = DEFAULT_POLL_SECONDS, key: str | None = None,
                   description: str | None = None) -> Any:
    """Pause the current flow run, keeping its process waiting, until it is resumed; return
    the input it was resumed with (validated as `wait_for_input`, a pydantic model or any
    type pydantic knows) or None. Raises PauseTimeout after `timeout` seconds.

    >>> approval = pause_flow_run(Approval, timeout=600)  # doctest: +SKIP
    """
    ctx = _flow_context("pause_flow_run")
    _check_timing(timeout, poll_interval)
    key = key or ctx.next_key("pause")
    adapter, schema = _input_type(wait_for_input)
    answered = _answered(ctx, key)
    if answered is not None:
        return _value(adapter, answered, key)
    run_id, epoch = ctx.flow_run.id, _epoch(ctx)
    deadline = ctx.clock.now() + timedelta(seconds=timeout)
    ctx.recorder.flush()
    ctx.backend.pause_flow_run(
        run_id, PauseRequest(key, PauseKind.PAUSE, deadline, schema, description), epoch=epoch)
    log = run_logging.get_run_logger()
    log.info("paused at %r; resume with `legato runs resume %s`", key, run_id)
    while True:
        found = ctx.backend.read_run_input(run_id, key)
        if found is not None and found.status is InputStatus.RESPONDED:
            log.info("resumed at %r", key)
            return _value(adapter, found, key)
        state = ctx.backend.read_flow_run(run_id).state
        if state in (StateType.CANCELLING, StateType.CANCELLED):
            raise CancelledRun(f"flow run {run_id} was cancelled while paused at {key!r}")
        remaining = (deadline - ctx.clock.now()).total_seconds()
        if remaining <= 0:
            ended = ctx.backend.expire_pause(run_id, key, epoch=epoch)
            if ended.status is InputStatus.RESPONDED:
                return _value(adapter, ended, key)
            raise PauseTimeout(
                f"flow run {ctx.flow_run.name!r} was paused at {key!r} for {timeout:g} s "
                "without being resumed; resume it sooner or pass a longer timeout=."
            )
        ctx.clock.sleep(min(poll_interval, remaining))


@overload
def suspend_flow_run(wait_for_input: None = None, *, timeout: float = ...,
                     key: str | None = ..., description: str | None = ...) -> None: ...
@overload
def suspend_flow_run(wait_for_input: type[T], *, timeout: float = ...,
                     key: str | None = ..., description: str | None = ...) -> T: ...
def suspend_flow_run(wait_for_input: type[Any] | None = None, *,
                     timeout: float = DEFAULT_TIMEOUT, key: str | None = None,
                     description: str | None = None) -> Any:
    """Suspend the current flow run: wait for its running tasks, record it PAUSED and end
    its process. Once resumed, the run is rescheduled and executed again from the start
    with completed task runs reused; this call then returns the input (or None). A run not
    resumed within `timeout` seconds fails.

    >>> choice = suspend_flow_run(int, timeout=86_400)  # doctest: +SKIP
    """
    ctx = _flow_context("suspend_flow_run")
    _check_timing(timeout, DEFAULT_POLL_SECONDS)
    if ctx.parent is not None or current_task_run() is not None:
        raise DefinitionError(
            "suspend_flow_run ends the whole run's process, so it can only be called in the "
            "body of a top-level flow; use pause_flow_run in subflows and tasks."
        )
    key = key or ctx.next_key("pause")
    adapter, schema = _input_type(wait_for_input)
    answered = _answered(ctx, key)
    if answered is not None:
        return _value(adapter, answered, key)
    ctx.wait_for_tasks()
    deadline = ctx.clock.now() + timedelta(seconds=timeout)
    run_logging.get_run_logger().info(
        "suspending at %r; resume with `legato runs resume %s`", key, ctx.flow_run.id)
    ctx.recorder.flush()
    ctx.backend.pause_flow_run(
        ctx.flow_run.id, PauseRequest(key, PauseKind.SUSPEND, deadline, schema, description),
        epoch=_epoch(ctx))
    raise Suspended(key)


def _flow_context(what: str) -> FlowRunContext:
    ctx = current_flow_run()
    if ctx is None:
        raise DefinitionError(
            f"{what}() was called outside a flow run; call it inside a @flow function."
        )
    return ctx


def _check_timing(timeout: float, poll_interval: float) -> None:
    if not timeout > 0 or not poll_interval > 0:
        raise ParameterError(
            f"timeout={timeout} and poll_interval={poll_interval} must both be positive "
            "numbers of seconds."
        )


def _epoch(ctx: FlowRunContext) -> int | None:
    fence = ctx.recorder.fence
    return fence.epoch if fence is not None else None


def _answered(ctx: FlowRunContext, key: str) -> RunInputRecord | None:
    # A re-executed (suspended, then resumed) run finds its earlier answer here.
    found = ctx.backend.read_run_input(ctx.flow_run.id, key)
    return found if found is not None and found.status is InputStatus.RESPONDED else None


def _input_type(wait_for_input: type[Any] | None) -> tuple[Any, dict[str, Any] | None]:
    if wait_for_input is None:
        return None, None
    # pydantic is loaded on first use: `import legato` stays light.
    from pydantic import PydanticSchemaGenerationError, TypeAdapter

    try:
        adapter: TypeAdapter[Any] = TypeAdapter(wait_for_input)
        return adapter, adapter.json_schema()
    except PydanticSchemaGenerationError as error:
        raise DefinitionError(
            f"wait_for_input={wait_for_input!r} has no JSON schema ({error}); use a pydantic "
            "model or a plain type such as int, str or dict[str, int]."
        ) from None


def _value(adapter: Any, record: RunInputRecord, key: str) -> Any:
    if adapter is None:
        return None
    from pydantic import ValidationError

    try:
        return adapter.validate_python(record.value)
    except ValidationError as error:
        raise ParameterError(
            f"the input given at pause {key!r} does not match the type the flow expects "
            f"({error.error_count()} error(s)); resume it with matching input.",
            [(".".join(map(str, e["loc"])) or "(input)", e["msg"]) for e in error.errors()],
        ) from None
