"""One task run from creation to a final state: upstream checks, Luigi-style outputs,
cache, attempts with retries and timeouts, result storage, hooks.

This is the hot path: per task it builds a few small objects, enqueues three state changes
and calls the function. Keep it free of per-task locks, threads and queries."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from legato.core.events import ASSET_UPDATED, NewEvent, flow_run_resource
from legato.core.ids import new_id
from legato.core.records import Edge, ResultRef, TaskRunRecord
from legato.core.states import SUCCESS_STATES, StateType
from legato.engine import user_code
from legato.engine.context import (
    FlowRunContext,
    TaskRunContext,
    TaskRunInfo,
    flow_run_ctx,
    task_run_ctx,
)
from legato.engine.futures import LegatoFuture
from legato.engine.inputs import resolve
from legato.engine.results import is_masked
from legato.engine.run_logging import RunLogger, enable_print_capture
from legato.engine.specs import TaskSpec
from legato.engine.states import State
from legato.errors import CancelledRun, LegatoError, ResultError, UpstreamFailed

_log = logging.getLogger("legato.runs.task")
_count_lock = threading.Lock()
S = StateType


class TaskRun:
    """The engine's working object for one task run; dropped once the run is final."""

    __slots__ = ("args", "attempts", "cache_key", "child_flow_run_id", "created", "end_time",
                 "flow", "force_next", "future", "id", "is_new", "key", "kwargs", "map_index", "needs_resolve",
                 "remaining", "remote", "result_ref", "spec", "start_time", "state", "upstream")

    def __init__(self, flow: FlowRunContext, spec: TaskSpec, key: str, map_index: int | None,
                 args: tuple[Any, ...], kwargs: dict[str, Any],
                 upstream: list[tuple[LegatoFuture[Any], bool]], needs_resolve: bool) -> None:
        self.flow = flow
        self.spec = spec
        self.key = key
        self.map_index = map_index
        self.args: tuple[Any, ...] | None = args
        self.kwargs: dict[str, Any] | None = kwargs
        self.upstream = upstream
        self.needs_resolve = needs_resolve
        self.state: StateType | None = None
        self.attempts = 0
        self.start_time: Any = None
        self.end_time: Any = None
        self.result_ref: ResultRef | None = None
        self.cache_key: str | None = None
        self.child_flow_run_id: str | None = None
        self.remaining = 0
        self.remote = False
        self.is_new = True
        self.force_next = False
        previous = flow.previous.get(key) if flow.previous else None
        if previous is not None:
            self.id = previous.id
            self.is_new = False
            self.force_next = True  # leaving a terminal (or abandoned RUNNING) state
            self.state = previous.state
            self.created = previous.created
        else:
            self.id = new_id()
            self.created = flow.clock.now()
        self.future: LegatoFuture[Any] = LegatoFuture(self.id, key)
        flow.task_started()

    # -- recording ----------------------------------------------------------------------
    def emit(self, to_state: StateType, message: str | None = None,
             now: datetime | None = None) -> None:
        """Enqueue a transition with a snapshot of the fields that change (a plain tuple:
        the recorder builds one row per task run per batch)."""
        if now is None:
            now = self.flow.clock.now()
        forced, self.force_next = self.force_next, False
        self.flow.recorder.task_change((
            self, to_state, self.state, message, now, forced, self.attempts, self.start_time,
            self.end_time, self.result_ref, self.cache_key, self.child_flow_run_id, self.is_new))
        self.is_new = False
        self.state = to_state

    def reuse_previous(self) -> bool:
        """Finish at once from a committed result of an earlier attempt (resume)."""
        previous = self.flow.previous.get(self.key)
        if previous is None or previous.state not in SUCCESS_STATES or previous.result is None:
            return False
        if is_masked(previous.result):
            # Only a masked stand-in was stored; the dependants need the real value.
            _log.info("re-running %s: its stored result was masked (it held a secret)", self.key)
            return False
        try:
            value = self.flow.results.read(previous.result, f"of task run {self.key}")
        except ResultError as exc:
            _log.warning("re-running %s: its stored result cannot be read (%s)", self.key, exc)
            return False
        self._finish(State(previous.state, message="result reused from an earlier attempt",
                           data=value, flow_run_id=self.flow.flow_run.id, task_run_id=self.id))
        return True

    # -- dependencies -------------------------------------------------------------------
    def start_when_ready(self, dispatch: Callable[[TaskRun], None]) -> None:
        """Dispatch now if every upstream future is final, else when the last one is."""
        if not self.upstream:
            dispatch(self)
            return
        pending = [f for f, _ in self.upstream if f._state is None]
        if not pending:
            dispatch(self)
            return
        self.remaining = len(pending)

        def _upstream_done(_: LegatoFuture[Any]) -> None:
            with _count_lock:
                self.remaining -= 1
                ready = self.remaining == 0
            if ready:
                dispatch(self)

        for f in pending:
            f.add_done_callback(_upstream_done)

    def record_edges(self) -> None:
        seen: set[str] = set()
        for f, _ in self.upstream:
            if f.task_run_id not in seen:
                seen.add(f.task_run_id)
                self.flow.recorder.edge(Edge(self.flow.flow_run.id, f.task_run_id, self.id))

    # -- execution ----------------------------------------------------------------------
    def execute(self) -> None:
        """Run to a final state and resolve the future. Never raises (except BaseException
        that must stop the process)."""
        flow = self.flow
        f_token = flow_run_ctx.set(flow)
        try:
            self._execute()
        except CancelledRun:
            self._end(S.CANCELLED, "the flow run was cancelled", CancelledRun())
        except Exception as exc:  # an engine-side failure must still finish the future
            _log.exception("internal error running %s", self.key)
            self._end(S.FAILED, f"internal error: {exc}", exc)
        finally:
            flow_run_ctx.reset(f_token)
            self.args = self.kwargs = None

    def _execute(self) -> None:
        flow = self.flow
        if flow.cancel_event.is_set():
            raise CancelledRun()
        for f, allowed in self.upstream:
            st = f._state
            if st is None:
                f.wait()
                st = f._state
            assert st is not None
            if allowed:
                f._handled = True
            elif st.type not in SUCCESS_STATES:
                message = f"not run: upstream task {f.task_key} ended {st.type.value}"
                self._end(S.SKIPPED, message, UpstreamFailed(
                    f"task {self.key} did not run because upstream task {f.task_key} ended "
                    f"{st.type.value}; fix the upstream or wrap it in allow_failure()."))
                return
        args, kwargs = self.args or (), self.kwargs or {}
        if self.needs_resolve:
            args = resolve(args, _resolve_future)
            kwargs = resolve(kwargs, _resolve_future)
        spec = self.spec
        info = TaskRunInfo(self.id, spec.name, self.key, flow.flow_run.id, self.map_index)
        log_prints = flow.log_prints if spec.log_prints is None else spec.log_prints
        if spec.log_prints:
            enable_print_capture()
        ctx = TaskRunContext(flow, spec, info, args, kwargs, log_prints)
        t_token = task_run_ctx.set(ctx)
        try:
            if spec.outputs is not None and self._outputs_exist(ctx):
                return
            if spec.cache_key_fn is not None and self._cache_hit(ctx):
                return
            self._attempts(ctx, args, kwargs)
        finally:
            task_run_ctx.reset(t_token)

    def _attempts(self, ctx: TaskRunContext, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        flow = self.flow
        # Only tags that have a concurrency limit cost anything (a cached set lookup).
        limited = flow.task_slots.limited(self.spec.tags) if self.spec.tags else None
        while True:
            if limited:
                flow.task_slots.acquire(self.id, flow.flow_run.id, limited,
                                        f"task run {self.key}", flow.cancel_event)
            try:
                delay = self._attempt(ctx, args, kwargs)
            finally:
                if limited:
                    flow.task_slots.release(self.id)
            if delay is None:
                return
            if delay > 0:
                flow.clock.sleep(delay)
            if flow.cancel_event.is_set():
                raise CancelledRun() from None

    def _attempt(self, ctx: TaskRunContext, args: tuple[Any, ...],
                 kwargs: dict[str, Any]) -> float | None:
        """One attempt, RUNNING to its outcome: the delay before the next attempt when it
        is to be retried, else None (the task run is final)."""
        spec, flow = self.spec, self.flow
        self.attempts += 1
        ctx.task_run.attempts = self.attempts
        now = flow.clock.now()
        if self.start_time is None:
            self.start_time = now
        self.emit(S.RUNNING, None, now)
        try:
            value = self._call(ctx, args, kwargs)
        except (CancelledRun, KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:
            user_code.trim_traceback(exc)
            message = f"{type(exc).__name__}: {exc}"
            if self._should_retry(ctx, exc, message):
                delay = spec.retry.delay_before(self.attempts + 1)
                self.emit(S.AWAITING_RETRY, f"attempt {self.attempts} failed ({message}); "
                                            f"retrying in {delay:g} s")
                _run_logger(ctx).warning("attempt %d failed: %s; retrying in %g s",
                                         self.attempts, message, delay)
                return delay
            _run_logger(ctx).error("failed after %d attempt(s): %s", self.attempts, message,
                                   exc_info=(type(exc), exc, exc.__traceback__))
            self._end(S.FAILED, message, exc, ctx)
            return None
        if spec.persist_result is not False:
            try:
                self.result_ref = flow.results.write(value, f"{flow.flow_run.id}/{self.id}")
            except LegatoError as exc:
                if spec.persist_result:
                    self._end(S.FAILED, str(exc), exc, ctx)
                    return None
                _run_logger(ctx).warning(
                    "result kept in memory only, a resumed run will execute this task "
                    "again: %s", exc)
        self.end_time = now = flow.clock.now()
        self.emit(S.COMPLETED, None, now)
        if spec.produces:
            _announce_assets(ctx, self.id, now)
        if self.cache_key is not None and self.result_ref is not None and not is_masked(
                self.result_ref):
            expires = (self.end_time + spec.cache_expiration) if spec.cache_expiration else None
            flow.backend.write_cache(self.cache_key, self.result_ref, expires)
        state = State(S.COMPLETED, data=value, flow_run_id=flow.flow_run.id,
                      task_run_id=self.id, timestamp=self.end_time)
        if spec.on_completion:
            _run_hooks(spec.on_completion, spec.owner, ctx.task_run, state, self.key)
        self._finish(state)
        return None

    def _call(self, ctx: TaskRunContext, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        spec = self.spec
        if self.remote:
            return self.flow.task_runner.call_remote(ctx, spec, args, kwargs)
        if spec.timeout_seconds is not None:
            return user_code.call_with_timeout(
                spec.fn, args, kwargs, spec.is_async, spec.timeout_seconds,
                f"task run {self.key}",
                wrap=lambda target: _in_context(ctx, target))
        if spec.is_async:
            return user_code.call(spec.fn, args, kwargs, True)
        return spec.fn(*args, **kwargs)

    def _should_retry(self, ctx: TaskRunContext, exc: BaseException, message: str) -> bool:
        spec = self.spec
        if not spec.retry.allows(self.attempts + 1):
            return False
        if spec.retry_condition_fn is None:
            return True
        state = State(S.FAILED, message=message, exception=exc, task_run_id=self.id)
        try:
            return bool(spec.retry_condition_fn(spec.owner, ctx.task_run, state))
        except Exception:
            _run_logger(ctx).exception("retry_condition_fn raised; not retrying")
            return False

    def _outputs_exist(self, ctx: TaskRunContext) -> bool:
        """Luigi-style completeness: finish CACHED when every declared output exists.
        Returns True when the task run is final (complete, or failed checking)."""
        store = self.flow.results.store
        try:
            outputs = _resolve_outputs(self.spec, ctx.parameters)
            complete = bool(outputs) and all(store.exists(o) for o in outputs)
        except Exception as exc:
            message = f"checking outputs= failed: {type(exc).__name__}: {exc}"
            _run_logger(ctx).error("%s", message)
            self._end(S.FAILED, message, exc, ctx)
            return True
        if not complete:
            return False
        value: Any = outputs[0] if len(outputs) == 1 else outputs
        self.result_ref = self.flow.results.write(value, f"{self.flow.flow_run.id}/{self.id}")
        self.end_time = self.flow.clock.now()
        self.emit(S.CACHED, "complete: all outputs exist")
        self._finish_cached(ctx, State(S.CACHED, message="all outputs exist", data=value,
                                       flow_run_id=self.flow.flow_run.id, task_run_id=self.id))
        return True

    def _cache_hit(self, ctx: TaskRunContext) -> bool:
        spec, flow = self.spec, self.flow
        assert spec.cache_key_fn is not None
        try:
            self.cache_key = spec.cache_key_fn(ctx, ctx.parameters)
        except Exception:
            _run_logger(ctx).exception("cache_key_fn raised; running without cache")
            return False
        if self.cache_key is None or spec.refresh_cache:
            return False
        ref = flow.backend.read_cache(self.cache_key, flow.clock.now())
        if ref is None or is_masked(ref):  # a masked entry (an older writer) has no value
            return False
        try:
            value = flow.results.read(ref, f"cached under key {self.cache_key}")
        except ResultError as exc:
            _run_logger(ctx).warning("ignoring unreadable cached result: %s", exc)
            return False
        self.result_ref = ref
        self.end_time = flow.clock.now()
        self.emit(S.CACHED, f"result from cache key {self.cache_key}")
        self._finish_cached(ctx, State(S.CACHED, data=value, flow_run_id=flow.flow_run.id,
                                       task_run_id=self.id, timestamp=self.end_time))
        return True

    def _finish_cached(self, ctx: TaskRunContext, state: State) -> None:
        # As in Prefect, a cached result is a completion: on_completion hooks run.
        if self.spec.on_completion:
            _run_hooks(self.spec.on_completion, self.spec.owner, ctx.task_run, state, self.key)
        self._finish(state)

    def _end(self, to_state: StateType, message: str, exc: BaseException,
             ctx: TaskRunContext | None = None) -> None:
        self.end_time = self.flow.clock.now()
        self.emit(to_state, message)
        state = State(to_state, message=message, exception=exc,
                      flow_run_id=self.flow.flow_run.id, task_run_id=self.id,
                      timestamp=self.end_time)
        if to_state is S.FAILED:
            self.flow.note_failure(self.future, f"task {self.key} failed: {message}")
            if self.spec.on_failure and ctx is not None:
                _run_hooks(self.spec.on_failure, self.spec.owner, ctx.task_run, state, self.key)
        self._finish(state)

    def _finish(self, state: State) -> None:
        self.future._set_state(state)
        self.flow.task_finished()


def _resolve_future(future: LegatoFuture[Any], allowed: bool) -> Any:
    if future._state is None:
        future.wait()
    state = future._state
    assert state is not None
    return state.result(raise_on_failure=not allowed)


def _announce_assets(ctx: TaskRunContext, task_run_id: str, now: datetime) -> None:
    """A `legato.asset.updated` event per asset of `produces=`. The task already completed:
    an asset URL that cannot be formatted or an event that cannot be stored is logged, not
    turned into a failure."""
    flow = ctx.flow
    run_resource = flow_run_resource(flow.flow_run.id)
    for template in ctx.spec.produces:
        try:
            asset = template.format(**ctx.parameters) if "{" in template else template
            flow.backend.emit_event(NewEvent(
                name=ASSET_UPDATED, resource=asset, occurred=now,
                payload={"asset": asset, "task_name": ctx.spec.name, "task_run_id": task_run_id,
                         "flow_name": flow.spec.name, "flow_run_id": flow.flow_run.id},
                related=(run_resource, f"legato.task-run.{task_run_id}")))
        except Exception as exc:  # the task's own outcome stands; the asset event is extra
            _run_logger(ctx).warning("could not announce asset %r as updated: %s: %s",
                                     template, type(exc).__name__, exc)


def _resolve_outputs(spec: TaskSpec, params: dict[str, Any]) -> list[str]:
    outputs = spec.outputs
    if callable(outputs):
        produced = outputs(**params)
        return [produced] if isinstance(produced, str) else list(produced)
    assert outputs is not None
    try:
        return [o.format(**params) for o in outputs]
    except (KeyError, IndexError) as exc:
        raise LegatoError(
            f"@task {spec.name!r} outputs= template {list(outputs)!r} uses {exc} which is not a "
            "parameter of the task; use only the task's parameter names in braces."
        ) from None


def _in_context(ctx: TaskRunContext, target: Callable[[], Any]) -> Any:
    f_token = flow_run_ctx.set(ctx.flow)
    t_token = task_run_ctx.set(ctx)
    try:
        return target()
    finally:
        task_run_ctx.reset(t_token)
        flow_run_ctx.reset(f_token)


def _run_logger(ctx: TaskRunContext) -> RunLogger:
    return RunLogger(_log, ctx.flow, ctx)


def _run_hooks(hooks: tuple[Any, ...], owner: Any, run: Any, state: State, where: str) -> None:
    for hook in hooks:
        try:
            hook(owner, run, state)
        except Exception:
            _log.exception("hook %s of %s raised; continuing",
                           getattr(hook, "__name__", hook), where)


def previous_by_key(records: list[TaskRunRecord]) -> dict[str, TaskRunRecord]:
    """Index an earlier attempt's task runs by task key, for resume."""
    return {r.task_key: r for r in records}
