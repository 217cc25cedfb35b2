"""The Backend contract for HttpBackend: a real uvicorn server on 127.0.0.1 (ephemeral port)
serving a LocalBackend, on a SQLite file and on PostgreSQL, driven through the REST API.

One server serves a whole test class; each test swaps in its own LocalBackend."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

from legato._clock import FakeClock
from legato.client.http import HttpBackend
from legato.core.backend import Backend
from legato.orchestration.local import LocalBackend
from legato.server.app import create_app
from legato.server.runner import bind_socket, url_of
from legato.store.database import Database

from .test_backend_contract import BackendContract


class ServerThread:
    """uvicorn serving `backend` from a background thread until `stop()`."""

    def __init__(self, backend: Backend | None = None) -> None:
        self.app = create_app(backend)  # type: ignore[arg-type]
        config = uvicorn.Config(self.app, lifespan="off", log_level="warning", access_log=False)
        self.server = uvicorn.Server(config)
        self.sock = bind_socket("127.0.0.1", 0)
        self.url = url_of(self.sock, "127.0.0.1")
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 10
        while True:
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError(f"the test API server at {self.url} did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()
        assert not self.thread.is_alive(), "the test API server did not stop"


@pytest.fixture(scope="class")
def api_server() -> Iterator[ServerThread]:
    server = ServerThread()
    server.start()
    yield server
    server.stop()


def serve_over_http(server: ServerThread, url: str, clock: FakeClock) -> Iterator[Backend]:
    local = LocalBackend(Database(url), clock=clock)
    server.app.state.backend = local
    remote = HttpBackend(server.url, timeout=30)
    try:
        yield remote
    finally:
        remote.close()
        server.app.state.backend = None
        local.close()


class TestHttpBackend(BackendContract):
    @pytest.fixture
    def backend(
        self, api_server: ServerThread, sqlite_url: str, clock: FakeClock
    ) -> Iterator[Backend]:
        yield from serve_over_http(api_server, sqlite_url, clock)


@pytest.mark.postgres
class TestHttpBackendOnPostgres(BackendContract):
    @pytest.fixture
    def backend(
        self, api_server: ServerThread, postgres_url: str, clock: FakeClock
    ) -> Iterator[Backend]:
        yield from serve_over_http(api_server, postgres_url, clock)
