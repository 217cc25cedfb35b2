"""The client's one transport boundary: every HTTP request of HttpBackend goes through
`ApiSession.request`, which retries what is safe to retry and turns transport failures and
error responses into `legato.errors`."""

from __future__ import annotations

import functools
import http.client
import logging
import os
import socket
import ssl
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit

from legato._clock import SYSTEM_CLOCK, Clock
from legato.client.problems import error_from_response
from legato.client.transport import (
    ApiResponse,
    ConnectionPool,
    Transport,
    TransportError,
    exchange,
    is_readable,
)
from legato.errors import BackendUnavailable, ConfigError, LegatoError

if TYPE_CHECKING:
    import httpx

_log = logging.getLogger("legato.client")

API_PATH = "/api/v1"
FIRST_RETRY_DELAY = 0.1
MAX_RETRY_DELAY = 2.0
# Statuses worth another attempt: 503 is the API's "nothing was done, try again later";
# 502 and 504 come from proxies and may hide a request that was processed.
RETRY_STATUSES = frozenset({502, 503, 504})
UNPROCESSED_STATUSES = frozenset({503})

Params = list[tuple[str, str | int | float | bool | None]] | None


def api_base_url(api_url: str) -> str:
    """The API root for a server URL, with or without the /api/v1 suffix.

    >>> api_base_url("http://127.0.0.1:4200")
    'http://127.0.0.1:4200/api/v1'
    """
    url = api_url.strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise ConfigError(
            f"API URL {api_url!r} is not an http(s) URL; set LEGATO_API_URL to something like "
            "http://127.0.0.1:4200."
        )
    return url if url.endswith(API_PATH) else url + API_PATH


@functools.cache
def ssl_context() -> ssl.SSLContext:
    """The process's TLS context: loading the CA bundle takes about 0.1 s, too long to repeat
    for every client (a run's process makes one; warm launchers make it before forking).
    SSL_CERT_FILE / SSL_CERT_DIR name another bundle, else certifi's is used."""
    if os.environ.get("SSL_CERT_FILE"):
        return ssl.create_default_context(cafile=os.environ["SSL_CERT_FILE"])
    if os.environ.get("SSL_CERT_DIR"):
        return ssl.create_default_context(capath=os.environ["SSL_CERT_DIR"])
    import certifi  # only for an https API: a plain-http run's process never loads it

    return ssl.create_default_context(cafile=certifi.where())


def default_transport(base_url: str, *, timeout: float = 30.0,
                      clock: Clock = SYSTEM_CLOCK) -> ConnectionPool:
    """The pool of keep-alive connections to the origin of `base_url`. Only an https URL
    loads the CA bundle, which a cold run's process would otherwise spend its time on before
    its first line."""
    parts = urlsplit(base_url)
    tls = parts.scheme == "https"
    if parts.hostname is None:
        raise ConfigError(f"API URL {base_url!r} names no host; set LEGATO_API_URL to "
                          "something like http://127.0.0.1:4200.")
    try:
        port = parts.port or (443 if tls else 80)
    except ValueError:
        raise ConfigError(f"API URL {base_url!r} has a bad port; set LEGATO_API_URL to "
                          "something like http://127.0.0.1:4200.") from None
    return ConnectionPool(parts.hostname, port, tls=ssl_context() if tls else None,
                          timeout=timeout, clock=clock)


def _target(base_path: str, path: str, params: Params) -> str:
    target = base_path + path
    if params:
        query = urlencode([(name, _param(value)) for name, value in params])
        if query:
            target += ("&" if "?" in target else "?") + query
    return target


def _param(value: str | int | float | bool | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def warm_up(api_url: str) -> None:
    """Do once in this process what a client's first request does only once: build its
    target, send and parse with `http.client` (the email parser behind its headers, the
    buffered socket file), decode JSON, and load the resolver's libraries (getaddrinfo). A
    warm parent calls this before forking, so a run's process does not pay for it on its one
    request. The request goes to a socket pair inside this process; nothing is sent anywhere."""
    base = api_base_url(api_url)
    pool = default_transport(base)
    try:
        socket.getaddrinfo(pool.host, pool.port, type=socket.SOCK_STREAM)
    except OSError:
        pass  # not resolvable now; the run's process will say so when it connects
    reply = (b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
             b"content-length: 2\r\n\r\n{}")
    ours, theirs = socket.socketpair()
    with ours, theirs:
        connection = http.client.HTTPConnection(pool.host, pool.port)
        connection.sock = ours
        is_readable(ours)
        theirs.sendall(reply)
        target = _target(urlsplit(base).path, "/health", [("warm", True)])
        headers = {**_headers(None), "Content-Type": "application/json"}
        response, _ = exchange(connection, "POST", target, headers, b"{}")
        response.json()
        connection.sock = None  # closed with the pair, not by the connection


def _headers(api_key: str | None) -> dict[str, str]:
    headers = {"Accept": "application/json"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    return headers


class ApiSession:
    """A pooled, thread-safe HTTP session to one Legato API, sending `api_key` (an API token)
    as a bearer token when given. `transport` replaces the connection pool (tests pass a
    scripted one: a `Transport`, or an httpx transport such as `httpx.MockTransport`)."""

    def __init__(
        self,
        api_url: str,
        *,
        timeout: float = 30.0,
        retries: int = 4,
        clock: Clock = SYSTEM_CLOCK,
        transport: Transport | httpx.BaseTransport | None = None,
        api_key: str | None = None,
    ) -> None:
        if retries < 0:
            raise ConfigError(f"HttpBackend got retries={retries}; retries must be 0 or more.")
        self.base_url = api_base_url(api_url)
        self.retries = retries
        self.clock = clock
        self._closed = False
        self._lock = threading.Lock()
        self._base_path = urlsplit(self.base_url).path
        self._headers = _headers(api_key)
        self._transport: Transport
        if transport is None:
            self._transport = default_transport(self.base_url, timeout=timeout, clock=clock)
        elif isinstance(transport, Transport):
            self._transport = transport
        else:
            # Here, not above: only tests hand in an httpx transport, and a run's process
            # must not pay for importing httpx.
            from legato.client.httpx_transport import HttpxTransport

            self._transport = HttpxTransport(transport, self.base_url, timeout)

    def close(self) -> None:
        """Close pooled connections; later requests raise BackendUnavailable."""
        with self._lock:
            self._closed = True
        self._transport.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        content: bytes | None = None,
        params: Params = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool,
    ) -> ApiResponse:
        """Send one request and return its 2xx response, or raise a Legato error.

        Idempotent requests are retried after any transport failure or 502/503/504; others
        only when the request surely did not reach the server or was refused unprocessed
        (503), so a lost response never makes a state change happen twice."""
        where = f"{method} {self.base_url}{path}"
        target = _target(self._base_path, path, params)
        send_headers = {**self._headers, **(headers or {})}
        if content is not None:
            send_headers["Content-Type"] = "application/json"
        retry_statuses = RETRY_STATUSES if idempotent else UNPROCESSED_STATUSES
        failure: LegatoError
        attempt = 0
        while True:
            if self._closed:
                raise BackendUnavailable(
                    f"HttpBackend({self.base_url!r}) was closed; create a new backend to keep "
                    "using the API."
                )
            try:
                response = self._transport.send(method, target, send_headers, content)
            except TransportError as error:
                retryable = idempotent or not error.sent
                failure = BackendUnavailable(
                    f"cannot reach the Legato API for {where} ({error}); "
                    "check that `legato server` runs there and LEGATO_API_URL is right."
                )
                if not retryable or attempt >= self.retries:
                    raise failure from error
            except RuntimeError as error:  # the pool refuses requests once closed meanwhile
                raise BackendUnavailable(
                    f"HttpBackend({self.base_url!r}) was closed; create a new backend to keep "
                    "using the API."
                ) from error
            else:
                if response.is_success:
                    return response
                failure = error_from_response(response.status_code, response.content, where)
                if response.status_code not in retry_statuses or attempt >= self.retries:
                    raise failure
            delay = min(FIRST_RETRY_DELAY * 2**attempt, MAX_RETRY_DELAY)
            attempt += 1
            _log.warning("%s failed (%s); retry %d in %.1f s", where, failure, attempt, delay)
            self.clock.sleep(delay)
