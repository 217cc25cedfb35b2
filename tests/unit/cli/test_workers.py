"""`legato workers ls` over a fake backend: a table, a JSON list, and an empty listing."""

from __future__ import annotations

import orjson
from click.testing import CliRunner

from legato.cli.main import cli
from legato.core.workers import WorkerRecord

from .fakes import T0, FakeBackend


def test_workers_ls_lists_workers_as_a_table_and_as_json(
    runner: CliRunner, backend: FakeBackend
) -> None:
    backend.workers = [
        WorkerRecord("w-1", "alpha", ("default", "etl"), T0, "online", 42, "box"),
        WorkerRecord("w-2", "beta", ("default",), T0, "stopped"),
    ]
    table = runner.invoke(cli, ["workers", "ls"])
    assert table.exit_code == 0, table.output
    assert "alpha" in table.stdout and "default, etl" in table.stdout
    assert "stopped" in table.stdout
    listed = runner.invoke(cli, ["workers", "ls", "--json"])
    assert listed.exit_code == 0, listed.output
    assert [(w["name"], w["queues"], w["status"], w["pid"]) for w in orjson.loads(listed.stdout)] == [
        ("alpha", ["default", "etl"], "online", 42),
        ("beta", ["default"], "stopped", None),
    ]


def test_workers_ls_says_so_when_there_are_none(runner: CliRunner, backend: FakeBackend) -> None:
    result = runner.invoke(cli, ["workers", "ls"])
    assert (result.exit_code, result.stdout) == (0, "no workers\n")
