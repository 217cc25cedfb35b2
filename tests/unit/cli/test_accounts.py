"""`legato users`, `legato tokens` and `legato audit` on a database in a temp LEGATO_HOME,
with no server: the first admin, tokens shown once, revocation and the audit trail."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from legato.cli.main import cli


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"LEGATO_HOME": str(tmp_path), "LEGATO_DATABASE_URL": ""}


def run(runner: CliRunner, env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    result = runner.invoke(cli, list(args), env=env, input=stdin)
    assert result.exit_code == 0, result.output
    return result.output


def test_first_admin_then_users_listed_and_changed(runner: CliRunner, env: dict[str, str]) -> None:
    out = run(runner, env, "users", "create", "admin", "--role", "admin", "--password-stdin",
              stdin="a long password\n")
    assert "created admin admin" in out
    run(runner, env, "users", "create", "ann", "--password-stdin", stdin="another password\n")
    run(runner, env, "users", "set-role", "ann", "operator")
    run(runner, env, "users", "disable", "ann")
    users = json.loads(run(runner, env, "users", "ls", "--json"))
    assert [(u["username"], u["role"], u["disabled"]) for u in users] == [
        ("admin", "admin", False), ("ann", "operator", True)
    ]
    assert "password" not in json.dumps(users)


def test_prompted_password_must_be_typed_twice(runner: CliRunner, env: dict[str, str]) -> None:
    out = run(runner, env, "users", "create", "admin", "--role", "admin",
              stdin="a long password\na long password\n")
    assert "created admin admin" in out
    run(runner, env, "users", "passwd", "admin", stdin="a new password!\na new password!\n")


def test_bad_input_exits_2_with_one_sentence(runner: CliRunner, env: dict[str, str]) -> None:
    short = runner.invoke(cli, ["users", "create", "x", "--password-stdin"], env=env,
                          input="short\n")
    assert short.exit_code == 2 and "use 8 to" in short.output
    run(runner, env, "users", "create", "admin", "--role", "admin", "--password-stdin",
        stdin="a long password\n")
    last = runner.invoke(cli, ["users", "disable", "admin"], env=env)
    assert last.exit_code == 2 and "would leave no enabled admin" in last.output
    expires = runner.invoke(cli, ["tokens", "create", "--user", "admin", "--role", "admin",
                                  "--expires", "soon"], env=env)
    assert expires.exit_code == 2 and "is not a duration" in expires.output


def test_token_secret_is_shown_once_then_listed_by_prefix_and_revoked(
    runner: CliRunner, env: dict[str, str]
) -> None:
    run(runner, env, "users", "create", "ci", "--role", "operator", "--password-stdin",
        stdin="a long password\n")
    made = json.loads(run(runner, env, "tokens", "create", "--user", "ci", "--role",
                          "operator", "--expires", "30d", "--name", "deploys", "--json"))
    assert made["secret"].startswith(made["prefix"]) and made["expires"]
    listed = run(runner, env, "tokens", "ls", "--json")
    assert made["secret"] not in listed and made["prefix"] in listed
    run(runner, env, "tokens", "revoke", made["id"])
    [token] = json.loads(run(runner, env, "tokens", "ls", "--user", "ci", "--json"))
    assert token["revoked"] is not None
    lines = json.loads(run(runner, env, "audit", "ls", "--json"))
    assert [line["action"] for line in lines] == ["token.revoke", "token.create", "user.create"]
    assert all(line["source"] == "cli" and line["actor_kind"] == "local" for line in lines)
    never = run(runner, env, "tokens", "create", "--user", "ci", "--role", "viewer",
                "--expires", "never")
    assert "expires never" in never
