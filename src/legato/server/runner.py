"""Runs the API server in this process with uvicorn, with the scheduler's and the monitor's
loops (and any the caller adds, such as a local worker) beside it: serves until SIGTERM or
SIGINT, stops the loops, then closes the backend. `legato server` wraps `serve`."""

from __future__ import annotations

import contextlib
import dataclasses
import ipaddress
import logging
import signal
import socket
import threading
from collections.abc import Callable, Iterator

import uvicorn

from legato import plugins
from legato.errors import ConfigError
from legato.orchestration.accounts import AccountService
from legato.orchestration.local import LocalBackend, create_local_backend
from legato.scheduling.monitor import Monitor
from legato.scheduling.notifications import NotificationService
from legato.scheduling.scheduler import Scheduler
from legato.scheduling.triggers import TriggerService
from legato.schemas.api import API_PREFIX
from legato.server.app import create_app
from legato.server.background import BackgroundLoops
from legato.settings import Settings, ui_url_of

_log = logging.getLogger("legato.server")
GRACEFUL_SHUTDOWN_SECONDS = 10

# Adds more loops (a local worker) once the server's backend exists.
APPRISE_SENDER = "legato.integrations.notifications:send_with_apprise"
AddLoops = Callable[[BackgroundLoops, LocalBackend, Settings], None]


def is_loopback(host: str) -> bool:
    """Whether `host` names this machine only (127.0.0.0/8, ::1, localhost).

    >>> is_loopback("127.0.0.1"), is_loopback("0.0.0.0")
    (True, False)
    """
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


FIRST_ADMIN_HINT = (
    "create the first admin with `legato users create admin --role admin` (it asks for a "
    "password) and start the server with --auth"
)


def check_bind_host(host: str, *, auth: bool) -> None:
    """Refuse a non-loopback address without authentication: anyone who can reach the
    API could otherwise change runs and read everything."""
    if not auth and not is_loopback(host):
        raise ConfigError(
            f"refusing to serve the API on {host!r} without authentication, since anyone who "
            f"can reach it could change runs; {FIRST_ADMIN_HINT}, or bind to 127.0.0.1."
        )


def check_accounts(backend: LocalBackend) -> None:
    """With authentication on, someone must be able to sign in."""
    if not AccountService(backend.db, backend.clock).has_active_users():
        raise ConfigError(
            "authentication is on but the database has no enabled user, so nobody could "
            f"use the API; {FIRST_ADMIN_HINT}."
        )


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port (port 0 picks a free one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        sock = socket.create_server((host.strip("[]"), port), family=family, backlog=2048)
    except OSError as error:
        raise ConfigError(
            f"cannot listen on {host}:{port} ({error.strerror or error}); choose another "
            "--port or stop the process that uses it."
        ) from error
    # asyncio turns Nagle's algorithm off only on sockets it creates itself. With it on, a
    # response written as headers then body waits for the client's delayed ACK: 40 ms per
    # request. Accepted connections inherit the option from the listening socket.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def url_of(sock: socket.socket, host: str) -> str:
    """The base URL of the API served on `sock`."""
    port = sock.getsockname()[1]
    shown = f"[{host.strip('[]')}]" if ":" in host else host
    return f"http://{shown}:{port}{API_PREFIX}"


@contextlib.contextmanager
def _signals_end_serving() -> Iterator[None]:
    """uvicorn stops on SIGTERM/SIGINT and then re-raises the signal to the previous handler;
    make that handler a no-op so a requested shutdown ends the process normally (status 0)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    handled = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.signal(sig, lambda signum, frame: None) for sig in handled}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def background_loops(
    backend: LocalBackend, settings: Settings, *, scheduler: bool, monitor: bool = False
) -> BackgroundLoops:
    """The loops the server runs beside the API."""
    loops = BackgroundLoops()
    if scheduler:
        interval = settings.scheduler_interval_seconds
        ticker = Scheduler(backend.db, backend.clock)
        loops.add("scheduler", lambda stop: ticker.run(stop, interval_seconds=interval))
        # Triggers react to events, so they look more often than schedules come due.
        reactor = TriggerService(backend.db, backend.clock)
        react = min(1.0, interval)
        loops.add("triggers", lambda stop: reactor.run(stop, interval_seconds=react))
        # integrations sit above the server in the layers: the sender is looked up by name.
        sender = plugins.load_object(APPRISE_SENDER)
        notifier = NotificationService(backend.db, sender, ui_url=ui_url_of(settings),
                                       clock=backend.clock)
        loops.add("notifications", lambda stop: notifier.run(stop, interval_seconds=react),
                  join_seconds=30.0)
    if monitor:
        sweep = settings.monitor_interval_seconds
        sweeper = Monitor(backend.service)
        loops.add("monitor", lambda stop: sweeper.run(stop, interval_seconds=sweep))
    return loops


def serve(
    settings: Settings,
    *,
    host: str | None = None,
    port: int | None = None,
    database_url: str | None = None,
    auth: bool | None = None,
    scheduler: bool = True,
    monitor: bool = True,
    add_loops: AddLoops | None = None,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve the API on host:port over a LocalBackend until SIGTERM or SIGINT, with the
    scheduler and the monitor ticking every `settings.scheduler_interval_seconds` and
    `settings.monitor_interval_seconds` unless turned off, plus whatever `add_loops` adds.

    `auth` (default `settings.auth`) makes every request need credentials; a non-loopback
    host needs it. `on_ready(url)` is called once the socket listens (with the real port
    when port is 0).

    >>> serve(Settings.from_env(), port=4200, on_ready=print)
    """
    host = host or settings.server_host
    port = settings.server_port if port is None else port
    auth = settings.auth if auth is None else auth
    check_bind_host(host, auth=auth)
    if database_url:
        settings = dataclasses.replace(settings, database_url=database_url)
    backend = create_local_backend(settings)
    try:
        if auth:
            check_accounts(backend)
        sock = bind_socket(host, port)
        try:
            app = create_app(backend, max_body_bytes=settings.server_max_body_bytes, auth=auth)
            config = uvicorn.Config(
                app,
                lifespan="off",
                access_log=False,
                log_level=settings.log_level.lower(),
                timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
            )
            server = uvicorn.Server(config)
            loops = background_loops(backend, settings, scheduler=scheduler, monitor=monitor)
            if add_loops is not None:
                add_loops(loops, backend, settings)
            if on_ready is not None:
                on_ready(url_of(sock, host))
            with _signals_end_serving(), loops:
                server.run(sockets=[sock])
        finally:
            sock.close()
    finally:
        backend.close()
        _log.info("API server stopped; backend closed")
