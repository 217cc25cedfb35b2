"""`legato events emit|ls` over an in-memory backend: payloads from -p and --payload, bad
payloads and names refused with a readable message, listings as a table and as JSON."""

from __future__ import annotations

import orjson
import pytest
from click.testing import CliRunner

from legato.cli.main import cli
from legato.sdk import runtime
from legato.testing import InMemoryBackend


@pytest.fixture
def memory(monkeypatch: pytest.MonkeyPatch) -> InMemoryBackend:
    backend = InMemoryBackend()
    monkeypatch.setattr(runtime, "get_backend", lambda: backend)
    return backend


def test_emit_with_pairs_parses_json_values(runner: CliRunner, memory: InMemoryBackend) -> None:
    result = runner.invoke(cli, ["events", "emit", "orders.loaded", "-p", "date=2026-01-31",
                                 "-p", "rows=1200", "--resource", "shop.orders"])
    assert result.exit_code == 0, result.output
    (event,) = memory.list_events()
    assert (event.name, event.payload, event.resource) == (
        "orders.loaded", {"date": "2026-01-31", "rows": 1200}, "shop.orders")


def test_emit_with_a_json_payload_prints_the_event_as_json(
    runner: CliRunner, memory: InMemoryBackend
) -> None:
    result = runner.invoke(cli, ["events", "emit", "hook", "--payload", '{"a": {"b": [1]}}',
                                 "--json"])
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.stdout)["payload"] == {"a": {"b": [1]}}


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--payload", "[1]"], "not an object"), (["--payload", "{bad"], "is not JSON"),
     (["--payload", "{}", "-p", "a=1"], "not both")],
)
def test_emit_refuses_bad_payloads(runner: CliRunner, memory: InMemoryBackend,
                                   args: list[str], message: str) -> None:
    result = runner.invoke(cli, ["events", "emit", "hook", *args])
    assert result.exit_code != 0
    assert message in result.output
    assert memory.list_events() == []


def test_emit_refuses_a_reserved_name(runner: CliRunner, memory: InMemoryBackend) -> None:
    result = runner.invoke(cli, ["events", "emit", "legato.flow-run.completed"])
    assert result.exit_code != 0
    assert "only Legato emits" in result.output


def test_ls_lists_events_as_a_table_and_as_json(runner: CliRunner,
                                                memory: InMemoryBackend) -> None:
    assert runner.invoke(cli, ["events", "ls"]).stdout == "no events\n"
    runner.invoke(cli, ["events", "emit", "orders.created", "-p", "n=1"])
    runner.invoke(cli, ["events", "emit", "users.created"])
    table = runner.invoke(cli, ["events", "ls", "--prefix", "orders."])
    assert table.exit_code == 0, table.output
    assert "orders.created" in table.stdout and "users.created" not in table.stdout
    listed = orjson.loads(runner.invoke(cli, ["events", "ls", "--json"]).stdout)
    assert [e["name"] for e in listed] == ["users.created", "orders.created"]
