"""YAML workflow tests run manifests for real (local subprocesses) against an in-memory
backend; the fake clock makes retry backoff and suspend durations instant."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from legato.core.records import TaskRunRecord
from legato.engine.states import State
from legato.sdk import runtime
from legato.settings import Settings
from legato.testing import FakeClock, InMemoryBackend, legato_test_harness
from legato.workflows.flow import load_yaml_flow

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "yaml"


@dataclass
class Outcome:
    state: State
    backend: InMemoryBackend

    @property
    def run_id(self) -> str:
        assert self.state.flow_run_id is not None
        return self.state.flow_run_id

    def task_runs(self) -> dict[str, TaskRunRecord]:
        return {t.task_key: t for t in self.backend.read_task_runs(self.run_id)}

    def states(self) -> dict[str, str]:
        return {k: t.state.value for k, t in self.task_runs().items()}

    def logs(self, key: str | None = None) -> list[str]:
        task_id = self.task_runs()[key].id if key else None
        return [r.message for r in self.backend.read_logs(self.run_id, task_run_id=task_id)]


RunYaml = Callable[..., Outcome]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def backend(clock: FakeClock) -> Iterator[InMemoryBackend]:
    memory = InMemoryBackend(clock)
    with legato_test_harness(memory, clock=clock):
        yield memory


@pytest.fixture
def run_yaml(tmp_path: Path, backend: InMemoryBackend) -> RunYaml:
    """Run an example (by file name) or a manifest text; return its final state."""
    settings = Settings.from_env({"LEGATO_HOME": str(tmp_path / "home")})

    def run(source: str, params: dict[str, Any] | None = None, *,
            entrypoint: str | None = None) -> Outcome:
        if "\n" in source:
            path = tmp_path / "workflow.yaml"
            path.write_text(source, encoding="utf-8")
        else:
            path = EXAMPLES / source
        target = str(path) + (f":{entrypoint}" if entrypoint else "")
        flow = load_yaml_flow(target, settings=settings)
        state = runtime.run_flow(flow, params or {})
        return Outcome(state, backend)

    return run
