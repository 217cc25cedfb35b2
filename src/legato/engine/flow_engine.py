"""One flow run from creation (or resume) to a final state. Sync and async flows share
every step but the call of the flow function itself."""

from __future__ import annotations

import gc
import logging
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from legato._clock import Clock
from legato.core.backend import Backend
from legato.core.ids import new_id
from legato.core.names import run_name
from legato.core.records import Fence, FlowRunEnding, FlowRunRecord, NewFlowRun, ResultRef
from legato.core.retry import RetryPolicy
from legato.core.states import SUCCESS_STATES, StateType
from legato.engine import run_logging, user_code
from legato.engine.context import (
    FlowRunContext,
    FlowRunInfo,
    current_flow_run,
    flow_run_ctx,
    track_flow_run,
    untrack_flow_run,
)
from legato.engine.futures import LegatoFuture
from legato.engine.inputs import collect_futures, resolve
from legato.engine.masking import holds_secret, mask, mask_json, masking_active
from legato.engine.recorder import Recorder
from legato.engine.results import ResultWriter
from legato.engine.specs import FlowSpec, TaskSpec
from legato.engine.states import State
from legato.engine.task_engine import TaskRun, previous_by_key
from legato.engine.task_runners import ThreadPoolTaskRunner
from legato.engine.task_slots import TaskSlots
from legato.errors import CancelledRun, LegatoError, ResultError, StateTransitionError, Suspended

_log = logging.getLogger("legato.runs.flow")
S = StateType
# Flow version ids each backend already has, by (flow name, source hash). Weak keys: an id()
# of a closed backend is reused by the next one, which does not have those versions.
_versions: weakref.WeakKeyDictionary[Any, dict[tuple[str, str], str]] = (
    weakref.WeakKeyDictionary())
_versions_lock = threading.Lock()
GC_THRESHOLD = 10_000


class TaskRunsFailed(LegatoError):
    """A flow run failed because task runs in it failed and nothing handled them."""


@dataclass
class Outcome:
    state: StateType
    message: str | None
    value: Any = None
    exception: BaseException | None = None
    retry_delay: float | None = None


class FlowRunner:
    """Drives one flow run; see the module docstring."""

    def __init__(self, spec: FlowSpec, parameters: dict[str, Any],
                 stored_parameters: dict[str, Any], *, backend: Backend, results: ResultWriter,
                 clock: Clock, resume: FlowRunRecord | None = None,
                 on_start: Callable[[str], None] | None = None,
                 epoch: int | None = None) -> None:
        self.spec = spec
        self.parameters = parameters
        self.stored_parameters = stored_parameters
        self.backend = backend
        self.results = results
        self.clock = clock
        self.resume = resume
        self.on_start = on_start
        # A worker's lease epoch on `resume`: fences every state change and write batch.
        self.epoch = epoch
        self.parent = current_flow_run()
        self.ctx: FlowRunContext | None = None
        self.parent_run: TaskRun | None = None
        self.reused: State | None = None
        self.attempt = 0
        # Attempts of a resumed run before this one: task runs are only read when some ran.
        self._earlier_attempts = 0
        self._token: Any = None
        self._owns_recorder = False
        self._gc_threshold: tuple[int, int, int] | None = None

    # -- start ----------------------------------------------------------------------------
    def begin(self) -> None:
        """Create (or resume) the flow run and enter its context. If this is a subflow
        whose committed result an earlier attempt of the parent left, set `self.reused`."""
        try:
            self._begin()
        except BaseException as exc:
            self.leave()
            self._abandon_parent_run(exc)
            raise

    def _abandon_parent_run(self, exc: BaseException) -> None:
        run = self.parent_run
        if run is None or run.future.done():
            return
        # The parent flow waits for every task run it counted, so this one must end too; the
        # exception reaches the subflow's caller, so the failure is theirs to handle.
        run.future._handled = True
        run._end(S.FAILED, f"subflow could not start: {type(exc).__name__}: {exc}", exc)

    def _begin(self) -> None:
        run_logging.configure()
        if self.spec.log_prints:
            run_logging.enable_print_capture()
        parent = self.parent
        if parent is not None:
            self.parent_run = TaskRun(parent, _subflow_spec(self.spec),
                                      parent.next_key(self.spec.name), None, (), {}, [], False)
            if self.parent_run.reuse_previous():
                self.reused = self.parent_run.future._state
                return
            previous = parent.previous.get(self.parent_run.key)
            if previous is not None and previous.child_flow_run_id and self.resume is None:
                self.resume = self.backend.read_flow_run(previous.child_flow_run_id)
        recorder = parent.recorder if parent else Recorder(self.backend, self.clock)
        self._owns_recorder = parent is None
        if parent is None:
            self._relax_gc()
        if self.epoch is not None and self.resume is not None:
            recorder.fence = Fence(self.resume.id, self.epoch)
        record = self._resume_run() if self.resume is not None else self._create_run()
        info = FlowRunInfo(record.id, record.name, self.spec.name, self.parameters,
                           record.run_count, record.parent_flow_run_id)
        runner = self.spec.task_runner.duplicate() if self.spec.task_runner else (
            ThreadPoolTaskRunner())
        runner.start()
        self.ctx = FlowRunContext(
            backend=self.backend, recorder=recorder, results=self.results, clock=self.clock,
            spec=self.spec, flow_run=info, task_runner=runner, log_prints=self.spec.log_prints,
            task_slots=parent.task_slots if parent else TaskSlots(self.backend, self.clock),
            parent=parent,
        )
        track_flow_run(self.ctx)
        if recorder.fence is not None:
            recorder.on_fenced = self.ctx.cancel_event.set
        if self.resume is not None and self._earlier_attempts > 0:
            # A run that never ran (a worker's first execution of a claimed run) has no task
            # runs to reuse; not asking saves a round trip on the way to the first line.
            self.ctx.previous = previous_by_key(self.backend.read_task_runs(record.id))
        if self.parent_run is not None:
            self.parent_run.child_flow_run_id = record.id
            self.parent_run.start_time = self.clock.now()
            self.parent_run.attempts = 1
            self.parent_run.emit(S.RUNNING)
        self._token = flow_run_ctx.set(self.ctx)
        if self.on_start is not None:
            self.on_start(record.id)
        run_logging.get_run_logger().info(
            "%s flow run %r of flow %r", "Resuming" if self.resume else "Beginning",
            record.name, self.spec.name)

    def _relax_gc(self) -> None:
        # Every task run allocates a few tracked objects; at the default young-generation
        # threshold (700) the cyclic GC runs every few tasks and rescans everything alive,
        # about a fifth of the engine's time on big runs. Restored when the run ends.
        threshold = gc.get_threshold()
        if threshold[0] < GC_THRESHOLD:
            self._gc_threshold = threshold
            gc.set_threshold(GC_THRESHOLD, threshold[1], threshold[2])

    def _create_run(self) -> FlowRunRecord:
        spec, parent = self.spec, self.parent
        version_id = _flow_version(self.backend, spec) if spec.source_hash else None
        parameters = self.stored_parameters
        if masking_active() and holds_secret(parameters):
            # A secret passed in (to a subflow, or by a script that loaded it) is stored
            # masked like a result; this run then cannot be retried on its own (ADR 0021).
            parameters = mask_json(parameters)
        # Created straight into RUNNING: one commit, and nothing waits in between.
        return self.backend.create_flow_run(NewFlowRun(
            id=new_id(), flow_name=spec.name, name=run_name(), parameters=parameters,
            state=S.RUNNING, created=self.clock.now(), flow_version_id=version_id,
            entrypoint=spec.entrypoint, tags=spec.tags,
            parent_flow_run_id=parent.flow_run.id if parent else None,
            parent_task_run_id=self.parent_run.id if self.parent_run else None,
        ))

    def _resume_run(self) -> FlowRunRecord:
        assert self.resume is not None
        if self.resume.state is S.RUNNING and self.epoch is not None:
            # A worker's claim started the run (ADR 0022); this attempt is counted already.
            self._earlier_attempts = self.resume.run_count - 1
            return self.resume
        self._earlier_attempts = self.resume.run_count
        if self.resume.state not in (S.SCHEDULED, S.PENDING):
            self.backend.retry_flow_run(self.resume.id)
        return self.backend.set_flow_run_state(self.resume.id, S.RUNNING, epoch=self.epoch)

    # -- attempts -------------------------------------------------------------------------
    def call_sync(self) -> Any:
        """Call the flow function once (with the flow timeout, if any)."""
        spec = self.spec
        if spec.timeout_seconds is None:
            return user_code.call(spec.fn, (), self.parameters, spec.is_async)
        ctx = self.ctx

        def wrap(target: Callable[[], Any]) -> Any:
            token = flow_run_ctx.set(ctx)
            try:
                return target()
            finally:
                flow_run_ctx.reset(token)

        return user_code.call_with_timeout(spec.fn, (), self.parameters, spec.is_async,
                                           spec.timeout_seconds, f"flow run of {spec.name!r}",
                                           wrap=wrap)

    def complete_attempt(self, value: Any) -> Outcome:
        """The flow function returned: resolve returned futures, wait for every task run,
        and decide the outcome."""
        ctx = self.ctx
        assert ctx is not None
        try:
            value = _resolve_return(value)
        except BaseException as exc:
            return self.fail_attempt(exc)
        ctx.wait_for_tasks()
        if isinstance(value, State) and not value.is_completed():
            # A flow run can only end in these; a returned SKIPPED or unfinished state fails it.
            ending = value.type if value.type in (S.FAILED, S.CRASHED, S.CANCELLED) else S.FAILED
            return self._failed_or_retry(ending, value.message or value.type.value,
                                         value.result(raise_on_failure=False))
        failures = ctx.unhandled_failures()
        if failures:
            first = _first_failure_exception(ctx)
            message = failures[0] if len(failures) == 1 else (
                f"{len(failures)} task runs failed; first: {failures[0]}")
            return self._failed_or_retry(S.FAILED, message, first or TaskRunsFailed(message))
        if isinstance(value, State):
            # As in Prefect, a flow that returns a completed State returns its result.
            value = value.result()
        return Outcome(S.COMPLETED, None, value=value)

    def fail_attempt(self, exc: BaseException) -> Outcome:
        """The flow function raised."""
        ctx = self.ctx
        assert ctx is not None
        if isinstance(exc, Suspended):
            # The run is PAUSED already (committed by suspend_flow_run); nothing ends here.
            return Outcome(S.PAUSED, f"suspended at {exc}", exception=exc)
        if isinstance(exc, CancelledRun):
            ctx.cancel_event.set()
            ctx.wait_for_tasks()
            return Outcome(S.CANCELLED, "the flow run was cancelled", exception=exc)
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            ctx.cancel_event.set()
            return Outcome(S.CRASHED, f"the flow run was interrupted ({type(exc).__name__})",
                           exception=exc)
        if isinstance(exc, TimeoutError):
            ctx.cancel_event.set()
        user_code.trim_traceback(exc)
        ctx.wait_for_tasks()
        run_logging.get_run_logger().error(
            "flow run failed: %s: %s", type(exc).__name__, exc,
            exc_info=(type(exc), exc, exc.__traceback__))
        return self._failed_or_retry(S.FAILED, f"{type(exc).__name__}: {exc}", exc)

    def _failed_or_retry(self, state: StateType, message: str, exc: Any) -> Outcome:
        exception = exc if isinstance(exc, BaseException) else None
        self.attempt += 1
        if state is S.FAILED and self.spec.retry.allows(self.attempt + 1):
            delay = self.spec.retry.delay_before(self.attempt + 1)
            return Outcome(S.AWAITING_RETRY, message, exception=exception, retry_delay=delay)
        return Outcome(state, message, exception=exception)

    def prepare_retry(self, outcome: Outcome) -> None:
        """Between flow attempts: commit, then reload task runs so completed ones are reused."""
        ctx = self.ctx
        assert ctx is not None
        ctx.recorder.flush()
        run_id = ctx.flow_run.id
        self.backend.set_flow_run_state(
            run_id, S.AWAITING_RETRY,
            message=f"attempt {self.attempt} failed ({outcome.message}); retrying",
            epoch=self.epoch)
        run_logging.get_run_logger().warning("attempt %d failed: %s; retrying in %g s",
                                             self.attempt, outcome.message, outcome.retry_delay)
        if outcome.retry_delay:
            self.clock.sleep(outcome.retry_delay)
        ctx.previous = previous_by_key(self.backend.read_task_runs(run_id))
        ctx.reset_for_attempt()
        ctx.cancel_event.clear()
        self.backend.set_flow_run_state(run_id, S.RUNNING, epoch=self.epoch)

    # -- finish ---------------------------------------------------------------------------
    def finish(self, outcome: Outcome) -> State:
        """Commit everything, record the final state, run hooks; return the final State."""
        ctx = self.ctx
        assert ctx is not None
        try:
            ctx.task_runner.shutdown()
            ref = self._store_result(outcome)
            log = run_logging.get_run_logger()
            if outcome.state is S.COMPLETED:
                log.info("Finished in state COMPLETED")
            else:
                log.info("Finished in state %s: %s", outcome.state.value, outcome.message)
            if self._owns_recorder and outcome.state is not S.PAUSED:
                self._flush_with_ending(outcome, ref)
            else:
                ctx.recorder.flush()
                if outcome.state is not S.PAUSED:
                    self._record_final_state(outcome, ref)
        finally:
            if self._owns_recorder:
                ctx.recorder.close()
                ctx.task_slots.close()
        state = State(outcome.state, message=outcome.message, data=outcome.value,
                      exception=outcome.exception, flow_run_id=ctx.flow_run.id,
                      timestamp=self.clock.now())
        self._run_hooks(state)
        if self.parent_run is not None:
            self._finish_parent_run(state, ref)
        return state

    def _flush_with_ending(self, outcome: Outcome, ref: ResultRef | None) -> None:
        """Commit the last writes and the final state in one batch (ADR 0022)."""
        assert self.ctx is not None
        run_id = self.ctx.flow_run.id
        message = mask(outcome.message) if outcome.message else outcome.message
        try:
            self.ctx.recorder.flush(ending=FlowRunEnding(run_id, outcome.state, message, ref))
        except StateTransitionError:
            # A task run or the ending was refused and the rest committed; settle the
            # ending as a change of its own would.
            if self.backend.read_flow_run(run_id).state is not outcome.state:
                self._record_final_state(outcome, ref)

    def _record_final_state(self, outcome: Outcome, ref: ResultRef | None) -> None:
        assert self.ctx is not None
        run_id = self.ctx.flow_run.id
        try:
            message = mask(outcome.message) if outcome.message else outcome.message
            self.backend.set_flow_run_state(run_id, outcome.state, message=message,
                                            result=ref, epoch=self.epoch)
        except StateTransitionError:
            # A paused run cancelled by request is CANCELLED before its process notices.
            if self.backend.read_flow_run(run_id).state is not outcome.state:
                raise

    def leave(self) -> None:
        """Leave the flow run's context (in the context `begin` entered it)."""
        if self.ctx is not None:
            untrack_flow_run(self.ctx)
        if self._token is not None:
            flow_run_ctx.reset(self._token)
            self._token = None
        if self._gc_threshold is not None:
            gc.set_threshold(*self._gc_threshold)
            self._gc_threshold = None

    def _store_result(self, outcome: Outcome) -> ResultRef | None:
        if outcome.state is not S.COMPLETED:
            return None
        assert self.ctx is not None
        try:
            return self.results.write(outcome.value, f"{self.ctx.flow_run.id}/flow-result")
        except ResultError as exc:
            run_logging.get_run_logger().warning("flow result not stored: %s", exc)
            return None

    def _run_hooks(self, state: State) -> None:
        spec = self.spec
        hooks = {S.COMPLETED: spec.on_completion, S.FAILED: spec.on_failure,
                 S.CRASHED: spec.on_crashed, S.CANCELLED: spec.on_cancellation}.get(state.type, ())
        assert self.ctx is not None
        for hook in hooks:
            try:
                hook(spec.owner, self.ctx.flow_run, state)
            except Exception:
                _log.exception("hook %s of flow %r raised; continuing",
                               getattr(hook, "__name__", hook), spec.name)

    def _finish_parent_run(self, state: State, ref: ResultRef | None) -> None:
        run = self.parent_run
        assert run is not None
        # The subflow's caller gets its result, exception or State, as with a direct task
        # call: a failure is theirs to handle, not an unobserved one that fails the parent.
        run.future._handled = True
        run.end_time = self.clock.now()
        run.result_ref = ref
        if state.is_completed():
            run.emit(S.COMPLETED)
            run._finish(state)
        else:
            run._end(state.type if state.type is not S.CANCELLED else S.CANCELLED,
                     f"subflow ended {state.type.value}: {state.message}",
                     state.result(raise_on_failure=False) if state.is_final() else
                     LegatoError(state.message or ""))


def run_sync(runner: FlowRunner) -> State:
    """Run a sync (or, from sync code, an async) flow to its final State."""
    runner.begin()
    if runner.reused is not None:
        return runner.reused
    while True:
        try:
            outcome = runner.complete_attempt(runner.call_sync())
        except BaseException as exc:
            outcome = runner.fail_attempt(exc)
        if outcome.retry_delay is None:
            try:
                state = runner.finish(outcome)
            finally:
                runner.leave()
            if isinstance(outcome.exception, (KeyboardInterrupt, SystemExit)):
                raise outcome.exception
            return state
        runner.prepare_retry(outcome)


async def run_async(runner: FlowRunner) -> State:
    """Run an async flow in the caller's event loop; blocking bookkeeping goes to threads."""
    import asyncio

    runner.begin()
    if runner.reused is not None:
        return runner.reused
    spec = runner.spec
    while True:
        try:
            coro = spec.fn(**runner.parameters)
            value = await (user_code.bounded(coro, spec.timeout_seconds,
                                             f"flow run of {spec.name!r}")
                           if spec.timeout_seconds else coro)
            outcome = await asyncio.to_thread(runner.complete_attempt, value)
        except BaseException as exc:
            outcome = await asyncio.to_thread(runner.fail_attempt, exc)
        if outcome.retry_delay is None:
            try:
                return await asyncio.to_thread(runner.finish, outcome)
            finally:
                runner.leave()
        await asyncio.to_thread(runner.prepare_retry, outcome)


def _resolve_return(value: Any) -> Any:
    found: list[tuple[LegatoFuture[Any], bool]] = []
    collect_futures(value, found)
    if not found:
        return value
    if type(value) is LegatoFuture:
        value.wait()
        value._handled = True
        state = value._state
        assert state is not None
        return state.result()

    def _value(f: LegatoFuture[Any], allowed: bool) -> Any:
        f._handled = True
        return f.result()

    return resolve(value, _value)


def _first_failure_exception(ctx: FlowRunContext) -> BaseException | None:
    with ctx._lock:
        for future, _ in ctx._failed:
            if not future._handled and future._state is not None:
                exc = future._state.result(raise_on_failure=False)
                if isinstance(exc, BaseException):
                    return exc
    return None


def _flow_version(backend: Backend, spec: FlowSpec) -> str:
    key = (spec.name, spec.source_hash)
    with _versions_lock:
        try:
            known = _versions.setdefault(backend, {})
        except TypeError:  # a backend that cannot be weakly referenced is asked every time
            known = {}
        cached = known.get(key)
    if cached is not None:
        return cached
    version_id = backend.register_flow_version(spec.name, spec.source, spec.source_hash,
                                               spec.entrypoint)
    with _versions_lock:
        known[key] = version_id
    return version_id


_subflow_specs: dict[int, TaskSpec] = {}


def _subflow_spec(spec: FlowSpec) -> TaskSpec:
    """The task-run identity a subflow has inside its parent flow run."""
    cached = _subflow_specs.get(id(spec))
    if cached is None or cached.fn is not spec.fn:
        cached = TaskSpec(name=spec.name, fn=spec.fn, is_async=spec.is_async,
                          retry=RetryPolicy(), owner=spec.owner)
        _subflow_specs[id(spec)] = cached
    return cached


def is_success(state: StateType) -> bool:
    return state in SUCCESS_STATES
