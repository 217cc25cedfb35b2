"""Triggers set by `legato deploy --trigger`, a project file's `triggers:` and `Flow.deploy`,
listed by `legato triggers ls`, against a real API server in a thread."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from legato.cli.deploy import parse_trigger_option
from legato.cli.main import cli
from legato.sdk import runtime

from .live_server import ServerThread
from .test_deployments_cli import HELLO, REPO, as_json, legato, server

__all__ = ["server"]


def test_deploy_with_triggers_then_list_and_replace(server: ServerThread) -> None:
    out = legato(server, "deploy", HELLO, "--name", "after-etl",
                 "--trigger", "deployment=etl/nightly:failed,crashed",
                 "--trigger", '{"event": "orders.*", "parameters": {"name": "{{ event.payload.who }}"}}')
    assert "deployment hello/after-etl created" in out.output
    listed = as_json(server, "triggers", "ls")
    assert [t["description"] for t in listed] == [
        "when deployment etl/nightly is failed or crashed", "when event orders.* arrives"]
    table = legato(server, "triggers", "ls").output
    assert "hello/after-etl" in table and "orders.*" in table
    legato(server, "deploy", HELLO, "--name", "after-etl")  # no --trigger: triggers stay
    assert len(as_json(server, "triggers", "ls")) == 2
    legato(server, "deploy", HELLO, "--name", "after-etl", "--trigger", "asset=s3://lake/x")
    assert [t["trigger"] for t in as_json(server, "triggers", "ls")] == [{"assets": ["s3://lake/x"]}]


def test_bad_trigger_is_a_usage_error_before_anything_is_sent(server: ServerThread) -> None:
    result = legato(server, "deploy", HELLO, "--name", "x", "--trigger", "when=never", status=2)
    assert "is not a trigger" in result.output
    result = legato(server, "deploy", HELLO, "--name", "x", "--trigger",
                    '{"flow": "etl", "states": ["done"]}', status=2)
    assert "choose from completed" in result.output
    assert as_json(server, "deployments", "ls") == []


def test_project_file_triggers_and_flow_deploy(server: ServerThread, tmp_path: Path) -> None:
    project = tmp_path / "legato.yaml"
    project.write_text(
        "deployments:\n"
        f"  - entrypoint: {REPO / 'examples' / 'hello.py'}:hello\n"
        "    name: on-asset\n"
        "    triggers:\n"
        "      - assets: [s3://lake/a, s3://lake/b]\n"
        "        all: true\n"
        "        within: 3600\n"
    )
    legato(server, "deploy", "--file", str(project))
    (listed,) = as_json(server, "triggers", "ls")
    assert listed["trigger"] == {"assets": ["s3://lake/a", "s3://lake/b"], "all": True,
                                 "within": 3600.0}
    project.write_text(project.read_text().replace("all: true", "all: maybe"))
    result = CliRunner().invoke(cli, ["deploy", "--file", str(project), "--api-url", server.url])
    assert result.exit_code != 0 and "legato.yaml:" in result.output and "all" in result.output
    flow = runtime.load_flow(HELLO)
    flow.deploy("by-code", api_url=server.url, triggers=[{"flow": "etl"}])
    names = [(t["deployment_name"], t["description"]) for t in as_json(server, "triggers", "ls")]
    assert ("by-code", "when flow etl is completed") in names


def test_short_trigger_forms() -> None:
    assert parse_trigger_option("flow=etl") == {"flow": "etl"}
    assert parse_trigger_option("deployment=etl/nightly:failed, crashed") == {
        "deployment": "etl/nightly", "states": ["failed", "crashed"]}
    assert parse_trigger_option("event=orders.*") == {"event": "orders.*"}
    assert parse_trigger_option("asset=s3://b/k") == {"assets": ["s3://b/k"]}
