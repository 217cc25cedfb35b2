"""Pause and suspend end to end on the embedded server: a deployment run pauses (its process
waits) or suspends (its process ends); `legato runs resume` with input continues it — a
suspended run is executed again by the worker with its completed task runs reused."""

from __future__ import annotations

from pathlib import Path

from legato.client.http import HttpBackend
from legato.core.pauses import InputStatus, PauseKind
from legato.core.states import StateType as S
from legato.engine.results import deserialize

from .test_deploy import ok, run_cli
from .test_embedded import embedded_server, wait_for_state
from .test_server import ServerProcess

__all__ = ["embedded_server"]

FLOWS = '''
from pathlib import Path

from pydantic import BaseModel

from legato import flow, pause_flow_run, suspend_flow_run, task


class Approval(BaseModel):
    approved: bool
    factor: int = 1


@task
def extract(log: str) -> int:
    with open(log, "a") as fh:
        fh.write("extract\\n")
    return 7


@flow
def gated(log: str = "") -> int:
    n = extract(log)
    answer = pause_flow_run(Approval, timeout=120, poll_interval=0.2)
    return n * answer.factor if answer.approved else 0


@flow
def suspended(log: str = "") -> int:
    n = extract(log)
    factor = suspend_flow_run(int, timeout=600)
    return n * factor
'''


def deploy_and_run(home: Path, url: str, flows: Path, name: str, log: Path) -> str:
    ok(run_cli(home, url, "deploy", f"{flows}:{name}", "--name", "e2e"))
    run = ok(run_cli(home, url, "deployments", "run", f"{name}/e2e", "-p", f"log={log}",
                     "--json"))
    return str(run["id"])


def result_of(api: HttpBackend, run_id: str) -> object:
    ref = api.read_flow_run(run_id).result
    assert ref is not None and ref.data is not None
    return deserialize(ref.serializer, ref.data, "result")


def test_a_paused_run_waits_and_goes_on_with_the_input_it_is_resumed_with(
    embedded_server: ServerProcess, tmp_path: Path
) -> None:
    home, flows, log = tmp_path / "client", tmp_path / "flows.py", tmp_path / "log"
    home.mkdir()
    flows.write_text(FLOWS)
    url, server_log = embedded_server.url, tmp_path / "server.out"
    run_id = deploy_and_run(home, url, flows, "gated", log)
    api = HttpBackend(url, timeout=10)
    try:
        wait_for_state(api, run_id, S.PAUSED, server_log)
        request = api.read_run_input(run_id)
        assert request is not None and request.kind is PauseKind.PAUSE
        assert request.schema is not None and request.schema["required"] == ["approved"]
        refused = run_cli(home, url, "runs", "resume", run_id, "-i", "approved=perhaps")
        assert refused.returncode == 2 and "approved" in refused.stderr
        ok(run_cli(home, url, "runs", "resume", run_id, "-i", "approved=true", "-i", "factor=3",
                   "--json"))
        wait_for_state(api, run_id, S.COMPLETED, server_log)
        assert result_of(api, run_id) == 21
    finally:
        api.close()
    assert log.read_text().split() == ["extract"]


def test_a_suspended_run_ends_its_process_and_resumes_reusing_completed_tasks(
    embedded_server: ServerProcess, tmp_path: Path
) -> None:
    home, flows, log = tmp_path / "client", tmp_path / "flows.py", tmp_path / "log"
    home.mkdir()
    flows.write_text(FLOWS)
    url, server_log = embedded_server.url, tmp_path / "server.out"
    run_id = deploy_and_run(home, url, flows, "suspended", log)
    api = HttpBackend(url, timeout=10)
    try:
        wait_for_state(api, run_id, S.PAUSED, server_log)
        ok(run_cli(home, url, "runs", "resume", run_id, "--input", "4", "--json"))
        wait_for_state(api, run_id, S.COMPLETED, server_log)
        assert result_of(api, run_id) == 28
        answered = api.read_run_input(run_id, "pause-0")
        assert answered is not None and answered.status is InputStatus.RESPONDED
        states = [e.to_state for e in api.read_state_events(run_id)]
        assert S.CRASHED not in states
        assert states[-5:] == [S.PAUSED, S.SCHEDULED, S.PENDING, S.RUNNING, S.COMPLETED]
    finally:
        api.close()
    assert log.read_text().split() == ["extract"], "a completed task ran twice"
