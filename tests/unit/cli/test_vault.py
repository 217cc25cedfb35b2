"""`legato secrets` and `legato variables` on an in-memory backend: the value is asked for
hidden (twice) or read from stdin, never an argument; listings show no values; variable
values are JSON or, failing that, strings."""

from __future__ import annotations

from collections.abc import Iterator

import orjson
import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet

from legato.cli.main import cli
from legato.sdk import runtime
from legato.testing import InMemoryBackend

VALUE = "cli-secret-value-77"


@pytest.fixture
def memory(monkeypatch: pytest.MonkeyPatch) -> Iterator[InMemoryBackend]:
    backend = InMemoryBackend()
    monkeypatch.setattr(runtime, "get_backend", lambda: backend)
    yield backend


def test_secret_value_is_prompted_hidden_and_confirmed(memory: InMemoryBackend) -> None:
    result = CliRunner().invoke(cli, ["secrets", "set", "db"], input=f"{VALUE}\n{VALUE}\n")
    assert result.exit_code == 0, result.output
    assert VALUE not in result.output  # hidden input is not echoed
    assert memory.read_secret("db") == VALUE
    assert "secret db stored" in result.output


def test_secret_from_stdin_drops_one_trailing_newline(memory: InMemoryBackend) -> None:
    result = CliRunner().invoke(cli, ["secrets", "set", "pem", "--value-stdin"],
                                input="line one\nline two\n")
    assert result.exit_code == 0, result.output
    assert memory.read_secret("pem") == "line one\nline two"


def test_empty_secret_is_refused(memory: InMemoryBackend) -> None:
    result = CliRunner().invoke(cli, ["secrets", "set", "db", "--value-stdin"], input="")
    assert result.exit_code != 0
    assert "got an empty value" in result.output
    assert memory.list_secrets() == []


def test_no_overwrite_keeps_the_stored_value(memory: InMemoryBackend) -> None:
    memory.write_secret("db", VALUE)
    result = CliRunner().invoke(cli, ["secrets", "set", "db", "--value-stdin", "--no-overwrite"],
                                input="other")
    assert result.exit_code != 0 and "exists already" in result.output
    assert memory.read_secret("db") == VALUE


def test_secret_listings_never_show_values(memory: InMemoryBackend) -> None:
    memory.write_secret("db", VALUE)
    table = CliRunner().invoke(cli, ["secrets", "ls"])
    listed = CliRunner().invoke(cli, ["secrets", "ls", "--json"])
    assert table.exit_code == 0 and "db" in table.output and VALUE not in table.output
    assert [s["name"] for s in orjson.loads(listed.output)] == ["db"]
    assert VALUE not in listed.output


@pytest.mark.parametrize(("typed", "flags", "stored"), [
    ("500", [], 500),
    ('{"a": [1, true]}', [], {"a": [1, True]}),
    ("prod", [], "prod"),
    ("42", ["--string"], "42"),
    ("null", [], None),
])
def test_variable_values_are_json_or_strings(
    memory: InMemoryBackend, typed: str, flags: list[str], stored: object
) -> None:
    result = CliRunner().invoke(cli, ["variables", "set", "v", typed, *flags])
    assert result.exit_code == 0, result.output
    assert memory.read_variable("v").value == stored
    got = CliRunner().invoke(cli, ["variables", "get", "v"])
    assert orjson.loads(got.output) == stored


def test_variables_ls_rm_and_unknown_names(memory: InMemoryBackend) -> None:
    memory.write_variable("b", [1, 2])
    memory.write_variable("a", "x")
    listed = orjson.loads(CliRunner().invoke(cli, ["variables", "ls", "--json"]).output)
    assert [(v["name"], v["value"]) for v in listed] == [("a", "x"), ("b", [1, 2])]
    assert CliRunner().invoke(cli, ["variables", "rm", "a"]).exit_code == 0
    missing = CliRunner().invoke(cli, ["variables", "get", "a"])
    assert missing.exit_code != 0 and "variable 'a' does not exist" in missing.output


def test_new_key_prints_a_fernet_key() -> None:
    result = CliRunner().invoke(cli, ["secrets", "new-key"])
    assert result.exit_code == 0
    Fernet(result.output.strip().encode())
