"""Tests for legato.orchestration.local: building a LocalBackend from settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from legato.core.backend import Backend
from legato.errors import ConfigError
from legato.orchestration.local import LocalBackend, create_local_backend
from legato.settings import Settings
from legato.store import migrate
from legato.store.database import Database


def test_create_local_backend_makes_the_home_directory_and_the_schema(tmp_path: Path) -> None:
    home = tmp_path / "deep" / "home"
    backend = create_local_backend(Settings.from_env({"LEGATO_HOME": str(home)}))
    try:
        assert isinstance(backend, Backend)
        assert (home / "legato.db").is_file()
        assert migrate.current_revision(backend.db) == migrate.HEAD_REVISION
        assert backend.list_flow_runs() == []
    finally:
        backend.close()


@pytest.mark.postgres
def test_create_local_backend_upgrades_an_empty_postgres_database(
    empty_postgres_url: str, tmp_path: Path
) -> None:
    settings = Settings.from_env(
        {"LEGATO_HOME": str(tmp_path), "LEGATO_DATABASE_URL": empty_postgres_url}
    )
    backend = create_local_backend(settings)
    try:
        assert migrate.current_revision(backend.db) == migrate.HEAD_REVISION
        assert not (tmp_path / "legato.db").exists()
    finally:
        backend.close()


def test_create_local_backend_rejects_an_unsupported_database(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {"LEGATO_HOME": str(tmp_path), "LEGATO_DATABASE_URL": "oracle://scott@db/orcl"}
    )
    with pytest.raises(ConfigError, match="'oracle'"):
        create_local_backend(settings)


def test_repr_names_the_database_without_its_password() -> None:
    backend = LocalBackend(Database("postgresql+psycopg://u:hunter2@db/legato"))
    try:
        assert repr(backend) == "LocalBackend('postgresql+psycopg://u:***@db/legato')"
    finally:
        backend.close()
