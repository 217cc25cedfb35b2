"""Process-wide runtime entry points used by the CLI and by people: the default backend,
loading a flow from "path.py:flow", running it, resuming a run, reading results."""

from __future__ import annotations

import atexit
import hashlib
import importlib
import importlib.util
import os
import sys
import threading
import types
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from legato import plugins
from legato._clock import SYSTEM_CLOCK, Clock
from legato.core.backend import Backend
from legato.core.records import FlowRunRecord, FlowVersionRecord, ResultRef
from legato.core.states import RETRYABLE_STATES, StateType
from legato.engine import flow_engine, pickling
from legato.engine.context import current_flow_run
from legato.engine.masking import MASK
from legato.engine.results import ResultStore, ResultWriter
from legato.engine.states import State
from legato.errors import Conflict, NotFound, UserCodeError
from legato.settings import Settings

if TYPE_CHECKING:
    from legato.sdk.flows import Flow

# YAML workflows are a sibling front-end (legato.workflows), reached by name like the client.
YAML_LOADER = "legato.workflows.flow:load_yaml_flow"
_YAML_SUFFIXES = (".yaml", ".yml")
_lock = threading.RLock()
_backend: Backend | None = None
_results: ResultWriter | None = None
_clock: Clock = SYSTEM_CLOCK


def get_backend() -> Backend:
    """The backend flows use when none is given: built once from settings (LEGATO_*)."""
    global _backend
    with _lock:
        if _backend is None:
            settings = Settings.from_env()
            factory = plugins.load_object(settings.backend_factory)
            _backend = factory(settings)
            atexit.register(_close_default, _backend)
        return _backend


def _close_default(backend: Backend) -> None:
    try:
        backend.close()
    except Exception:  # closing at exit must not mask the program's own outcome
        pass


def set_backend(backend: Backend | None) -> None:
    """Replace the process-wide default backend (tests, embedding); None resets it."""
    global _backend
    with _lock:
        _backend = backend


def get_results() -> ResultWriter:
    """The result writer for new runs, from LEGATO_RESULTS_URL and LEGATO_INLINE_RESULT_LIMIT."""
    global _results
    with _lock:
        if _results is None:
            settings = Settings.from_env()
            _results = ResultWriter(ResultStore(settings.results_url), settings.inline_result_limit)
        return _results


def set_results(results: ResultWriter | None) -> None:
    """Replace the process-wide result writer; None resets it to the settings' one."""
    global _results
    with _lock:
        _results = results


def set_clock(clock: Clock | None) -> None:
    """Use another clock for new runs (tests pass a FakeClock); None restores the real one."""
    global _clock
    with _lock:
        _clock = clock or SYSTEM_CLOCK


def flow_runner(flow: Flow[Any, Any], parameters: dict[str, Any], *, strict: bool,
                backend: Backend | None = None, resume: FlowRunRecord | None = None,
                on_start: Callable[[str], None] | None = None,
                epoch: int | None = None) -> flow_engine.FlowRunner:
    """Prepare a FlowRunner with the parent run's environment, or the process defaults."""
    parent = current_flow_run()
    stored = flow.schema.to_json(parameters, strict=strict)
    if parent is not None:
        return flow_engine.FlowRunner(
            flow.spec(), parameters, stored, backend=parent.backend, results=parent.results,
            clock=parent.clock, resume=resume, on_start=on_start)
    return flow_engine.FlowRunner(
        flow.spec(), parameters, stored, backend=backend or get_backend(), results=get_results(),
        clock=_clock, resume=resume, on_start=on_start, epoch=epoch)


def _execute(runner: flow_engine.FlowRunner) -> State:
    if runner.spec.is_async:
        import asyncio  # only async flows need it; a run's process starts without it

        return asyncio.run(flow_engine.run_async(runner))
    return flow_engine.run_sync(runner)


def run_flow(
    flow: Any,
    parameters: Mapping[str, Any],
    *,
    backend: Backend | None = None,
    on_start: Callable[[str], None] | None = None,
) -> State:
    """Run a flow with raw (string or JSON) parameters; return its final State.

    `on_start(flow_run_id)` is called once the run exists, before any task runs.
    Raises ParameterError before creating anything when parameters are invalid."""
    values = flow.validate_parameters(dict(parameters))
    return _execute(flow_runner(flow, values, strict=True, backend=backend, on_start=on_start))


def retry_flow_run(
    flow_run_id: str,
    *,
    backend: Backend | None = None,
    on_start: Callable[[str], None] | None = None,
) -> State:
    """Resume a FAILED/CRASHED/CANCELLED flow run with its stored parameters and pinned
    source; only task runs without a committed result execute again. Returns the State.

    >>> state = retry_flow_run("0190...")  # doctest: +SKIP
    """
    backend = backend or get_backend()
    record = backend.read_flow_run(flow_run_id)
    if record.state not in RETRYABLE_STATES:
        raise Conflict(
            f"flow run {flow_run_id} is {record.state.value}; only FAILED, CRASHED or CANCELLED "
            "runs can be retried — wait for it to finish or cancel it first."
        )
    if MASK in repr(record.parameters):
        raise Conflict(
            f"flow run {flow_run_id} was given a secret as a parameter, which was stored "
            f"masked ({MASK}), so it cannot be retried with its stored parameters; retry its "
            "parent run, or start a new run that passes the secret's name instead of its value."
        )
    flow = _load_for_retry(backend, record)
    values = flow.validate_parameters(dict(record.parameters))
    runner = flow_runner(flow, values, strict=False, backend=backend, resume=record,
                         on_start=on_start)
    return _execute(runner)


def execute_flow_run(
    flow_run_id: str,
    *,
    epoch: int,
    backend: Backend | None = None,
    claimed: FlowRunRecord | None = None,
    version: FlowVersionRecord | None = None,
) -> State:
    """Execute a flow run a worker claimed at `epoch` (PENDING or SCHEDULED, or RUNNING when
    the claim started it) with its stored parameters and pinned source; task runs with a
    committed result are reused, as in a resume. Raises StaleEpoch once the run was taken
    from this holder (every write is fenced by `epoch`). A worker that passes the `claimed`
    record and the pinned `version` it already has saves the two reads.

    >>> state = execute_flow_run("0190...", epoch=1)  # doctest: +SKIP
    """
    backend = backend or get_backend()
    record = claimed if claimed is not None else backend.read_flow_run(flow_run_id)
    if record.state not in (StateType.PENDING, StateType.SCHEDULED, StateType.RUNNING):
        raise Conflict(
            f"flow run {flow_run_id} is {record.state.value}, not PENDING, SCHEDULED or "
            "RUNNING; only a claimed run can be executed — retry it (legato runs retry) to run "
            "it again."
        )
    flow = _load_for_retry(backend, record, version)
    values = flow.validate_parameters(dict(record.parameters))
    runner = flow_runner(flow, values, strict=False, backend=backend, resume=record, epoch=epoch)
    return _execute(runner)


def _load_for_retry(
    backend: Backend, record: FlowRunRecord, version: FlowVersionRecord | None = None
) -> Flow[Any, Any]:
    if not record.entrypoint:
        raise UserCodeError(
            f"flow run {record.id} has no entrypoint recorded (its flow was defined "
            "interactively); run the flow again from a file instead."
        )
    if record.flow_version_id:
        if version is None or version.id != record.flow_version_id:
            try:
                version = backend.read_flow_version(record.flow_version_id)
            except NotFound:
                version = None
        if version is not None and version.source:
            return load_pinned_flow(record.entrypoint, version.source, version.source_hash,
                                    backend=backend)
    return load_flow(record.entrypoint, backend=backend)


def is_yaml_entrypoint(entrypoint: str) -> bool:
    """Whether an entrypoint names a YAML workflow: `wf.yaml` or `wf.yaml:TEMPLATE`."""
    lowered = entrypoint.lower()
    return lowered.endswith(_YAML_SUFFIXES) or lowered.rpartition(":")[0].endswith(_YAML_SUFFIXES)


def _split_entrypoint(entrypoint: str) -> tuple[str, str]:
    target, sep, name = entrypoint.rpartition(":")
    if not sep or not target or not name:
        raise UserCodeError(
            f"entrypoint {entrypoint!r} is not of the form path/to/file.py:flow_name or "
            "package.module:flow_name; add the flow's name after a colon."
        )
    return target, name


def _is_path(target: str) -> bool:
    return target.endswith(".py") or os.sep in target or target.startswith(".")


def load_flow(entrypoint: str, *, backend: Backend | None = None) -> Flow[Any, Any]:
    """Load the Flow named by "path/to/file.py:flow_name" or "package.module:flow_name"
    (or a YAML workflow: "path/to/workflow.yaml[:template]", whose templateRefs may be
    resolved through `backend`'s registered templates).

    Raises UserCodeError naming the file or flow and the fix."""
    if is_yaml_entrypoint(entrypoint):
        return plugins.load_object(YAML_LOADER)(  # type: ignore[no-any-return]
            entrypoint, backend=backend)
    target, name = _split_entrypoint(entrypoint)
    if _is_path(target):
        path = os.path.abspath(target)
        if not os.path.isfile(path):
            raise UserCodeError(
                f"file {target!r} does not exist; check the path (relative to {os.getcwd()})."
            )
        with open(path, encoding="utf-8", errors="replace") as fh:
            source = fh.read()
        module = _exec_module(path, source, pinned=False)
        origin = target
    else:
        try:
            module = importlib.import_module(target)
        except ImportError as exc:
            raise UserCodeError(
                f"cannot import module {target!r} ({exc}); check the name and sys.path."
            ) from exc
        path = getattr(module, "__file__", None) or target
        origin = f"module {target!r}"
    return _pick_flow(module, name, origin, f"{path}:{name}" if _is_path(target) else entrypoint)


def load_pinned_flow(entrypoint: str, source: str, source_hash: str, *,
                     backend: Backend | None = None) -> Flow[Any, Any]:
    """Load a flow from the source text a run was pinned to (not today's file). A YAML
    source missing a template its templateRefs name gets it from `backend`'s registered
    templates (a deployment made before it was registered)."""
    if is_yaml_entrypoint(entrypoint):
        return plugins.load_object(YAML_LOADER)(  # type: ignore[no-any-return]
            entrypoint, source, backend=backend)
    target, name = _split_entrypoint(entrypoint)
    path = os.path.abspath(target) if _is_path(target) else f"<pinned {target}>"
    module = _exec_module(path, source, pinned=True, digest=source_hash)
    return _pick_flow(module, name, f"the pinned source of {entrypoint!r}", entrypoint)


# Pinned sources compiled ahead by a warm parent (`precompile_pinned`), so the runs it forks
# skip the compile: (path, source hash) -> code. Small: a worker runs a few flow versions.
_PRECOMPILED: dict[tuple[str, str], types.CodeType] = {}
PRECOMPILED_MAX = 32


def precompile_pinned(entrypoint: str, source: str, source_hash: str) -> None:
    """Compile a pinned Python source now, for `load_pinned_flow` in this process or in the
    processes it forks later. Compiling runs none of its code; a source that does not
    compile is left for the run to report."""
    if is_yaml_entrypoint(entrypoint) or not source_hash:
        return
    target, _ = _split_entrypoint(entrypoint)
    path = os.path.abspath(target) if _is_path(target) else f"<pinned {target}>"
    key = (path, source_hash)
    if key in _PRECOMPILED:
        return
    try:
        code = compile(source, path, "exec")
    except (SyntaxError, ValueError):
        return
    if len(_PRECOMPILED) >= PRECOMPILED_MAX:
        _PRECOMPILED.pop(next(iter(_PRECOMPILED)))
    _PRECOMPILED[key] = code


def _exec_module(path: str, source: str, *, pinned: bool, digest: str = "") -> types.ModuleType:
    digest = digest or hashlib.sha256(source.encode()).hexdigest()
    stem = os.path.splitext(os.path.basename(path))[0].replace("-", "_").replace(" ", "_")
    module_name = f"legato_user_{stem}_{digest[:12]}"
    existing = sys.modules.get(module_name)
    if existing is not None:
        return existing
    module = types.ModuleType(module_name)
    module.__file__ = path
    if pinned:
        module.__dict__["__legato_source__"] = source
    directory = os.path.dirname(path)
    added = os.path.isdir(directory) and directory not in sys.path
    if added:
        sys.path.insert(0, directory)
    sys.modules[module_name] = module
    try:
        code = _PRECOMPILED.get((path, digest)) if pinned else None
        exec(code or compile(source, path, "exec"), module.__dict__)
    except BaseException as exc:
        del sys.modules[module_name]
        if added:
            sys.path.remove(directory)
        raise UserCodeError(
            f"importing {path} failed with {type(exc).__name__}: {exc}; fix the error in that file."
        ) from exc
    # Modules loaded from a path cannot be imported by name in worker processes.
    pickling.pickle_by_value(module)
    return module


def _pick_flow(module: types.ModuleType, name: str, origin: str,
               entrypoint: str) -> Flow[Any, Any]:
    from legato.sdk.flows import Flow

    obj = getattr(module, name, None)
    if not isinstance(obj, Flow):
        flows = sorted(k for k, v in vars(module).items() if isinstance(v, Flow))
        available = f"flows there: {', '.join(flows)}" if flows else "it defines no @flow"
        what = "is not a @flow" if obj is not None else "does not exist"
        raise UserCodeError(f"{name!r} in {origin} {what}; {available}.")
    obj.entrypoint = entrypoint
    obj._spec = None
    return obj


def read_result(ref: ResultRef, where: str = "") -> Any:
    """Load a stored result (inline or from the result store)."""
    return get_results().read(ref, where)
