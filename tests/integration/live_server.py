"""A real uvicorn server on 127.0.0.1 (ephemeral port) serving the REST API from a background
thread, for integration tests that drive the API through HTTP."""

from __future__ import annotations

import threading
import time

import httpx
import uvicorn

from legato.core.backend import Backend
from legato.server.app import create_app
from legato.server.runner import bind_socket, url_of


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
