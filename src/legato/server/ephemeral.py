"""A server in a background thread of the current process, on a free loopback port: the
API, the scheduler and the monitor over the local database. `legato.serve` starts one when
no server URL is configured, so serving flows needs no separate `legato server`."""

from __future__ import annotations

import threading
from types import TracebackType

import uvicorn

from legato.errors import BackendUnavailable
from legato.orchestration.local import create_local_backend
from legato.server.app import create_app
from legato.server.runner import GRACEFUL_SHUTDOWN_SECONDS, background_loops, bind_socket, url_of
from legato.settings import Settings

START_SECONDS = 30.0
STOP_SECONDS = 15.0


class EphemeralServer:
    """`with EphemeralServer(settings) as server:` serves at `server.url` until the block ends.

    >>> with EphemeralServer(Settings.from_env()) as server:  # doctest: +SKIP
    ...     print(server.url)
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.url = ""
        self._backend = create_local_backend(settings)
        self._sock = bind_socket("127.0.0.1", 0)
        config = uvicorn.Config(
            create_app(self._backend, max_body_bytes=settings.server_max_body_bytes),
            lifespan="off", access_log=False, log_level=settings.log_level.lower(),
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        )
        self._server = uvicorn.Server(config)
        self._loops = background_loops(self._backend, settings, scheduler=True, monitor=True)
        self._thread = threading.Thread(target=self._serve, name="legato-ephemeral-server",
                                        daemon=True)

    def _serve(self) -> None:
        self._server.run(sockets=[self._sock])

    def __enter__(self) -> EphemeralServer:
        self.url = url_of(self._sock, "127.0.0.1")
        self._thread.start()
        started = threading.Event()
        waited = 0.0
        # uvicorn sets `started` once it accepts connections; poll it on a short wait.
        while not self._server.started and self._thread.is_alive() and waited < START_SECONDS:
            started.wait(0.02)
            waited += 0.02
        if not self._server.started:
            self.close()
            raise BackendUnavailable(
                f"the embedded Legato server did not start within {START_SECONDS:g} s; see "
                "the log above, or start `legato server` and set LEGATO_API_URL."
            )
        self._loops.start()
        return self

    def close(self) -> None:
        self._loops.close()
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(STOP_SECONDS)
        self._sock.close()
        self._backend.close()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()
