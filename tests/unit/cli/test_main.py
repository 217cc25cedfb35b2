"""The command group: `legato version`, `--version`, `db upgrade` and `python -m legato`."""

from __future__ import annotations

import subprocess
import sys
import types

import pytest
from click.testing import CliRunner

from legato.cli.db import _redact
from legato.cli.main import cli, legato_version


def test_version_command_prints_the_package_version(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["version"])
    assert result.exit_code == 0
    assert result.stdout == f"legato {legato_version()}\n"
    assert legato_version()[0].isdigit()


def test_db_upgrade_migrates_the_configured_database(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    upgraded: list[str] = []
    migrate = types.ModuleType("legato.store.migrate")
    migrate.upgrade = upgraded.append  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "legato.store.migrate", migrate)
    url = "postgresql+psycopg://app:secret@127.0.0.1:5432/legato"
    result = runner.invoke(cli, ["db", "upgrade"], env={"LEGATO_DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    assert upgraded == [url]
    assert "secret" not in result.stdout


def test_bad_settings_are_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["db", "upgrade"], env={"LEGATO_INLINE_RESULT_LIMIT": "lots"})
    assert result.exit_code == 2
    assert "LEGATO_INLINE_RESULT_LIMIT='lots' is not an integer" in result.stderr


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
        (
            "postgresql+psycopg://postgres@127.0.0.1/db",
            "postgresql+psycopg://postgres@127.0.0.1/db",
        ),
        ("postgresql://u:p@ss@h/db", "postgresql://u:***@h/db"),
    ],
)
def test_redact_hides_only_the_password(url: str, shown: str) -> None:
    assert _redact(url) == shown


def test_python_dash_m_legato_runs_the_cli() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "legato", "--help"], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stderr
    assert "runs" in completed.stdout
