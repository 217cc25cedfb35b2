"""Process-wide runtime entry points used by the CLI and by people: the default backend,
loading a flow from "path.py:flow", running it, resuming a run, reading results."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from legato.core.backend import Backend
from legato.core.records import ResultRef


def get_backend() -> Backend:
    """The backend flows use when none is given: built once from settings (LEGATO_*)."""
    raise NotImplementedError


def set_backend(backend: Backend | None) -> None:
    """Replace the process-wide default backend (tests, embedding); None resets it."""
    raise NotImplementedError


def load_flow(entrypoint: str) -> Any:
    """Load the Flow named by "path/to/file.py:flow_name" or "package.module:flow_name".

    Raises UserCodeError naming the file or flow and the fix."""
    raise NotImplementedError


def run_flow(
    flow: Any,
    parameters: Mapping[str, Any],
    *,
    backend: Backend | None = None,
    on_start: Callable[[str], None] | None = None,
) -> Any:
    """Run a flow with raw (string or JSON) parameters; return its final State.

    `on_start(flow_run_id)` is called once the run exists, before any task runs.
    Raises ParameterError before creating anything when parameters are invalid."""
    raise NotImplementedError


def retry_flow_run(
    flow_run_id: str,
    *,
    backend: Backend | None = None,
    on_start: Callable[[str], None] | None = None,
) -> Any:
    """Resume a FAILED/CRASHED/CANCELLED flow run with its stored parameters and pinned
    source; only task runs without a committed result execute again. Returns the State."""
    raise NotImplementedError


def read_result(ref: ResultRef) -> Any:
    """Load a stored result (inline or from the result store)."""
    raise NotImplementedError
