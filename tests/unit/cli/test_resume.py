"""`legato runs resume`: input from -i fields or --input JSON, checked against the pause
point's schema, with exit statuses and the run's new state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from click.testing import CliRunner

from legato.cli.main import cli
from legato.core.ids import new_id
from legato.core.pauses import InputStatus, PauseKind, PauseRequest
from legato.core.records import NewFlowRun
from legato.core.states import StateType
from legato.sdk import runtime
from legato.testing import InMemoryBackend

T0 = datetime(2026, 3, 1, tzinfo=UTC)
SCHEMA: dict[str, Any] = {"type": "object", "properties": {"approved": {"type": "boolean"},
                                           "note": {"type": "string"}},
          "required": ["approved"]}


@pytest.fixture
def memory(monkeypatch: pytest.MonkeyPatch) -> InMemoryBackend:
    backend = InMemoryBackend()
    monkeypatch.setattr(runtime, "get_backend", lambda: backend)
    return backend


def paused(backend: InMemoryBackend, kind: PauseKind = PauseKind.PAUSE,
           schema: dict[str, Any] | None = SCHEMA) -> str:
    run_id = new_id()
    backend.create_flow_run(NewFlowRun(run_id, "etl", "calm-heron", {}, StateType.RUNNING, T0))
    backend.pause_flow_run(run_id, PauseRequest("pause-0", kind, T0 + timedelta(days=1), schema))
    return run_id


def test_resume_with_fields_parses_values_as_json(memory: InMemoryBackend) -> None:
    run_id = paused(memory)
    result = CliRunner().invoke(cli, ["runs", "resume", run_id, "-i", "approved=true",
                                      "-i", "note=ship it", "--json"])
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.stdout)["state"] == "RUNNING"
    stored = memory.read_run_input(run_id, "pause-0")
    assert stored is not None and stored.status is InputStatus.RESPONDED
    assert stored.value == {"approved": True, "note": "ship it"}


def test_resume_of_a_suspended_run_says_a_worker_will_continue_it(
    memory: InMemoryBackend
) -> None:
    run_id = paused(memory, PauseKind.SUSPEND, {"type": "integer"})
    result = CliRunner().invoke(cli, ["runs", "resume", run_id, "--input", "3"])
    assert result.exit_code == 0, result.output
    assert "is SCHEDULED" in result.stdout and "worker" in result.stdout
    stored = memory.read_run_input(run_id, "pause-0")
    assert stored is not None and stored.value == 3


def test_resume_with_input_that_breaks_the_schema_exits_2_and_keeps_the_run_paused(
    memory: InMemoryBackend
) -> None:
    run_id = paused(memory)
    result = CliRunner().invoke(cli, ["runs", "resume", run_id, "-i", "approved=perhaps"])
    assert result.exit_code == 2
    assert "approved" in result.stderr and "input" in result.stderr
    assert memory.read_flow_run(run_id).state is StateType.PAUSED


def test_resume_refuses_fields_and_json_together_and_bad_json(memory: InMemoryBackend) -> None:
    run_id = paused(memory)
    both = CliRunner().invoke(cli, ["runs", "resume", run_id, "-i", "a=1", "--input", "{}"])
    assert both.exit_code == 2 and "not both" in both.stderr
    bad = CliRunner().invoke(cli, ["runs", "resume", run_id, "--input", "{nope"])
    assert bad.exit_code == 2 and "not valid JSON" in bad.stderr
    assert memory.read_flow_run(run_id).state is StateType.PAUSED


def test_resume_of_a_run_that_is_not_paused_exits_nonzero(memory: InMemoryBackend) -> None:
    run_id = new_id()
    memory.create_flow_run(NewFlowRun(run_id, "etl", "calm-heron", {}, StateType.RUNNING, T0))
    result = CliRunner().invoke(cli, ["runs", "resume", run_id])
    assert result.exit_code != 0
    assert "not waiting at a pause point" in result.stderr
