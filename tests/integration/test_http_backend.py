"""The Backend contract for HttpBackend: a real uvicorn server on 127.0.0.1 (ephemeral port)
serving a LocalBackend, on a SQLite file and on PostgreSQL, driven through the REST API.

One server serves a whole test class; each test swaps in its own LocalBackend."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from legato._clock import FakeClock
from legato.client.http import HttpBackend
from legato.core.backend import Backend
from legato.errors import ConfigError
from legato.orchestration import limits
from legato.orchestration.keyring import Keyring, new_key
from legato.orchestration.local import LocalBackend
from legato.store.database import Database

from .live_server import ServerThread
from .task_slot_contract import SetLimit
from .test_backend_contract import BackendContract
from .vault_contract import CONTRACT_KEY


@pytest.fixture(scope="class")
def api_server() -> Iterator[ServerThread]:
    server = ServerThread()
    server.start()
    yield server
    server.stop()


def serve_over_http(server: ServerThread, url: str, clock: FakeClock) -> Iterator[Backend]:
    local = LocalBackend(Database(url), clock=clock, keyring=Keyring([CONTRACT_KEY]))
    server.app.state.backend = local
    remote = HttpBackend(server.url, timeout=30)
    try:
        yield remote
    finally:
        remote.close()
        server.app.state.backend = None
        local.close()


class OverHttp(BackendContract):
    @pytest.fixture
    def set_limit(self, api_server: ServerThread, clock: FakeClock) -> SetLimit:
        local = api_server.app.state.backend
        return lambda tag, limit: limits.set_concurrency_limit(local.db, tag, limit,
                                                               now=clock.now())


class TestHttpBackend(OverHttp):
    @pytest.fixture
    def backend(
        self, api_server: ServerThread, sqlite_url: str, clock: FakeClock
    ) -> Iterator[Backend]:
        yield from serve_over_http(api_server, sqlite_url, clock)


@pytest.mark.postgres
class TestHttpBackendOnPostgres(OverHttp):
    @pytest.fixture
    def backend(
        self, api_server: ServerThread, postgres_url: str, clock: FakeClock
    ) -> Iterator[Backend]:
        yield from serve_over_http(api_server, postgres_url, clock)


def test_secret_the_server_cannot_decrypt_is_a_config_error_naming_the_setting(
    api_server: ServerThread, sqlite_url: str
) -> None:
    clock = FakeClock(datetime(2026, 3, 1, tzinfo=UTC))
    writer = LocalBackend(Database(sqlite_url), clock=clock, keyring=Keyring([new_key()]))
    writer.write_secret("db", "value-under-another-key")
    writer.close()
    for backend in serve_over_http(api_server, sqlite_url, clock):
        with pytest.raises(ConfigError, match="LEGATO_SECRET_KEY") as caught:
            backend.read_secret("db")
        assert "value-under-another-key" not in str(caught.value)
