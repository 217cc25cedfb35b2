"""Retry from a chosen task with the real engine on SQLite and PostgreSQL: the task and
everything downstream of it execute again, every other task's committed result is reused."""

from __future__ import annotations

from pathlib import Path

from legato.core.states import StateType
from legato.engine import flow_engine
from legato.orchestration.local import LocalBackend
from legato.orchestration.run_actions import retry_from_task
from legato.sdk import runtime

from .test_engine_on_databases import FLOW_FILE, _lines, backend

__all__ = ["backend"]


def test_retry_from_a_mapped_task_re_runs_it_and_what_depends_on_it(
    backend: LocalBackend, tmp_path: Path
) -> None:
    source = tmp_path / "pipeline.py"
    source.write_text(FLOW_FILE)
    workdir = tmp_path / "work"
    workdir.mkdir()
    (workdir / "fixed").touch()
    pipeline = runtime.load_flow(f"{source}:pipeline")
    first = runtime.run_flow(pipeline, {"workdir": str(workdir)})
    assert first.is_completed() and first.flow_run_id is not None

    scheduled = retry_from_task(backend.service, first.flow_run_id, "transform-0[1]")
    assert scheduled.state is StateType.SCHEDULED
    values = pipeline.validate_parameters(dict(scheduled.parameters))
    runner = runtime.flow_runner(pipeline, values, strict=False, backend=backend,
                                 resume=scheduled)
    second = flow_engine.run_sync(runner)

    assert second.is_completed() and second.result() == 150
    assert _lines(workdir / "extract.log") == 1
    assert [_lines(workdir / f"transform-{v}.log") for v in (1, 2, 3, 4, 5)] == [1, 2, 1, 1, 1]
    load = next(t for t in backend.read_task_runs(first.flow_run_id) if t.task_key == "load-0")
    history = [(e.to_state, e.forced) for e in backend.read_state_events(load.id)]
    assert history[-3:] == [
        (StateType.PENDING, True), (StateType.RUNNING, True), (StateType.COMPLETED, False)
    ]
