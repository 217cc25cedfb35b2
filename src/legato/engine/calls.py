"""How a task call inside a flow becomes a task run: direct calls run inline, `.submit()`
goes to the flow's task runner, `.map()` fans out over iterables."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from legato.core.states import StateType
from legato.engine.context import FlowRunContext, current_flow_run
from legato.engine.futures import LegatoFuture, LegatoFutureList
from legato.engine.inputs import BaseAnnotation, allow_failure, collect_futures, unmapped
from legato.engine.specs import TaskSpec
from legato.engine.states import State
from legato.engine.task_engine import TaskRun
from legato.errors import CancelledRun, DefinitionError, LegatoError

S = StateType
_LEAVES = (type(None), bool, int, float, str, bytes)


def _require_flow(spec: TaskSpec, how: str) -> FlowRunContext:
    flow = current_flow_run()
    if flow is None:
        raise LegatoError(
            f"task {spec.name!r} was {how} outside a flow run; call it inside a @flow function "
            f"(or call the task directly to run it as a plain function)."
        )
    if flow.cancel_event.is_set():
        raise CancelledRun()
    return flow


def _scan(values: Iterable[Any], found: list[tuple[LegatoFuture[Any], bool]]) -> bool:
    """Collect futures in arguments; True if any argument needs resolving."""
    special = False
    for v in values:
        if type(v) in _LEAVES:
            continue
        before = len(found)
        collect_futures(v, found)
        if len(found) != before or isinstance(v, BaseAnnotation) or _has_annotation(v):
            special = True
    return special


def _has_annotation(value: Any, depth: int = 0) -> bool:
    kind = type(value)
    if kind is list or kind is tuple or kind is set:
        return depth < 8 and any(_has_annotation(v, depth + 1) for v in value
                                 if type(v) not in _LEAVES)
    if kind is dict:
        return depth < 8 and any(_has_annotation(v, depth + 1) for v in value.values()
                                 if type(v) not in _LEAVES)
    return isinstance(value, BaseAnnotation)


def _new_run(flow: FlowRunContext, spec: TaskSpec, key: str, map_index: int | None,
             args: tuple[Any, ...], kwargs: dict[str, Any],
             wait_for: Iterable[Any] | None) -> TaskRun:
    found: list[tuple[LegatoFuture[Any], bool]] = []
    special = _scan(args, found)
    if kwargs:
        special = _scan(kwargs.values(), found) or special
    if wait_for:
        for w in _check_wait_for(spec, wait_for):
            collect_futures(w, found)
    run = TaskRun(flow, spec, key, map_index, args, kwargs, found, special)
    if found:
        run.record_edges()
    return run


def _check_wait_for(spec: TaskSpec, wait_for: Iterable[Any]) -> list[Any]:
    """`wait_for` takes futures (or allow_failure-wrapped futures) only. Dependencies point
    at futures that already exist, so they can never form a cycle; anything else in the list
    is a mistake that would otherwise be ignored silently. Returns them as a list, so a
    generator is read once."""
    if isinstance(wait_for, (str, bytes)) or not hasattr(wait_for, "__iter__"):
        raise DefinitionError(
            f"task {spec.name!r} got wait_for={wait_for!r}; pass a list of futures returned by "
            ".submit() or .map()."
        )
    wait_for = list(wait_for)
    for item in wait_for:
        inner = item.value if isinstance(item, allow_failure) else item
        if isinstance(inner, (LegatoFuture, LegatoFutureList)):
            continue
        raise DefinitionError(
            f"task {spec.name!r} got {inner!r} ({type(inner).__name__}) in wait_for; pass "
            "futures returned by .submit() or .map(), not values or tasks."
        )
    return wait_for


def call_task(spec: TaskSpec, args: tuple[Any, ...], kwargs: dict[str, Any], *,
              return_state: bool = False, wait_for: Iterable[Any] | None = None) -> Any:
    """A direct call inside a flow: run the task run inline and return its result (or raise
    its exception; or return its State with `return_state=True`)."""
    flow = _require_flow(spec, "called")
    run = _new_run(flow, spec, flow.next_key(spec.name), None, args, kwargs, wait_for)
    if not (flow.previous and run.reuse_previous()):
        run.execute()
    future = run.future
    future._handled = True  # the caller sees the outcome: a failure here is theirs to handle
    state = future._state
    assert state is not None
    if return_state:
        return state
    if isinstance(state.result(raise_on_failure=False), CancelledRun):
        raise CancelledRun()
    return state.result()


def call_task_keyed(spec: TaskSpec, key: str, args: tuple[Any, ...],
                    kwargs: dict[str, Any]) -> State:
    """A direct call under a task key the caller chose (a front-end that names its own
    nodes, such as a YAML workflow's node paths); returns the final State, whose failure
    the caller handles. Resume reuses a committed result stored under the same key."""
    flow = _require_flow(spec, "called")
    run = _new_run(flow, spec, key, None, args, kwargs, None)
    if not (flow.previous and run.reuse_previous()):
        run.execute()
    future = run.future
    future._handled = True
    state = future._state
    assert state is not None
    return state


def submit_task(spec: TaskSpec, args: tuple[Any, ...], kwargs: dict[str, Any], *,
                wait_for: Iterable[Any] | None = None,
                return_state: bool = False) -> LegatoFuture[Any] | State:
    """Submit a task run to the flow's task runner; return its future."""
    flow = _require_flow(spec, "submitted")
    run = _new_run(flow, spec, flow.next_key(spec.name), None, args, kwargs, wait_for)
    _dispatch(flow, run)
    if return_state:
        run.future.wait()
        return run.future.state
    return run.future


def map_task(spec: TaskSpec, args: tuple[Any, ...], kwargs: dict[str, Any], *,
             wait_for: Iterable[Any] | None = None) -> LegatoFutureList[Any]:
    """Submit one task run per element of the iterable arguments (`unmapped` ones are
    passed whole); return their futures."""
    flow = _require_flow(spec, "mapped")
    if wait_for:  # every mapped run waits for the same futures: read a generator once
        wait_for = _check_wait_for(spec, wait_for)
    columns: dict[int | str, list[Any]] = {}
    static: dict[int | str, Any] = {}
    arguments: list[tuple[int | str, Any]] = [*enumerate(args), *kwargs.items()]
    for where, value in arguments:
        if isinstance(value, unmapped):
            static[where] = value.value
            continue
        if type(value) is LegatoFuture:
            value = value.result()
        # As in Prefect: strings, bytes, files and non-iterables are passed whole.
        if isinstance(value, (str, bytes, io.IOBase)) or not hasattr(value, "__iter__"):
            static[where] = value
            continue
        columns[where] = list(value)
    if not columns:
        raise DefinitionError(
            f"task {spec.name!r}.map() got no iterable argument; pass at least one list or "
            "other iterable to map over."
        )
    lengths = {len(v) for v in columns.values()}
    if len(lengths) > 1:
        sizes = ", ".join(f"{k}={len(v)}" for k, v in columns.items())
        raise DefinitionError(
            f"task {spec.name!r}.map() got iterables of different lengths ({sizes}); "
            "make them equal or wrap the constant ones in unmapped()."
        )
    n = lengths.pop()
    base = flow.next_key(spec.name)
    positional = [k for k in (*columns, *static) if isinstance(k, int)]
    n_args = max(positional) + 1 if positional else 0
    futures: LegatoFutureList[Any] = LegatoFutureList()
    append = futures.append
    # Fast path for the common case: one mapped positional argument, nothing else.
    single = n_args == 1 and not kwargs and 0 in columns
    column0 = columns.get(0, [])
    for i in range(n):
        if single:
            call_args: tuple[Any, ...] = (column0[i],)
            call_kwargs: dict[str, Any] = {}
        else:
            call_args = tuple(columns[j][i] if j in columns else static[j] for j in range(n_args))
            call_kwargs = {k: (columns[k][i] if k in columns else static[k])
                           for k in kwargs}
        run = _new_run(flow, spec, f"{base}[{i}]", i, call_args, call_kwargs, wait_for)
        _dispatch(flow, run)
        append(run.future)
    return futures


def _dispatch(flow: FlowRunContext, run: TaskRun) -> None:
    if flow.previous and run.reuse_previous():  # only a resumed run has earlier results
        return
    run.emit(S.PENDING, None, run.created)
    run.start_when_ready(flow.task_runner.submit)
