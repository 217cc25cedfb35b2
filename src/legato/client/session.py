"""The client's one transport boundary: every HTTP request of HttpBackend goes through
`ApiSession.request`, which retries what is safe to retry and turns transport failures and
error responses into `legato.errors`."""

from __future__ import annotations

import functools
import logging
import socket
import ssl
import threading
from collections.abc import Mapping

import httpcore
import httpx

from legato._clock import SYSTEM_CLOCK, Clock
from legato.client.problems import error_from_response
from legato.errors import BackendUnavailable, ConfigError, LegatoError

_log = logging.getLogger("legato.client")

API_PATH = "/api/v1"
FIRST_RETRY_DELAY = 0.1
MAX_RETRY_DELAY = 2.0
# Statuses worth another attempt: 503 is the API's "nothing was done, try again later";
# 502 and 504 come from proxies and may hide a request that was processed.
RETRY_STATUSES = frozenset({502, 503, 504})
UNPROCESSED_STATUSES = frozenset({503})
# Transport errors raised before the request reached the server: safe to retry anything.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)

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
    for every client (a run's process makes one; warm launchers make it before forking)."""
    return httpx.create_ssl_context()


def _no_tls_context() -> ssl.SSLContext:
    """A context for a transport that only speaks plain HTTP: it trusts no certificate (so
    a TLS connection, were one attempted, would fail verification) and costs no CA bundle."""
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def default_transport(tls: bool = True) -> httpx.HTTPTransport:
    """Pooled connections without Nagle's algorithm: a request's headers and body are
    separate writes, and the body must not wait for the server's delayed ACK (40 ms).
    `tls=False` (an http:// API) skips loading the CA bundle, which a cold run's process
    would otherwise spend its time on before its first line."""
    return httpx.HTTPTransport(
        verify=ssl_context() if tls else _no_tls_context(),
        # Idle connections are dropped before the server's keep-alive timeout closes them.
        limits=httpx.Limits(max_connections=32, max_keepalive_connections=16, keepalive_expiry=4),
        socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)],
    )


def warm_up(api_url: str) -> None:
    """Do once in this process what a client's first request does only once: import the
    codecs, transport and HTTP/1.1 modules it loads on use, compile their patterns and load
    the resolver's libraries (getaddrinfo). A warm parent calls this before forking, so a
    run's process does not pay for it (several milliseconds of CPU) on its one request.
    The request goes to an in-memory connection; nothing is sent anywhere."""
    base = api_base_url(api_url)
    host = httpx.URL(base).host
    try:
        socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        pass  # not resolvable now; the run's process will say so when it connects
    reply = [b"HTTP/1.1 200 OK\r\n", b"Content-Type: application/json\r\n",
             b"Content-Length: 2\r\n\r\n", b"{}"]
    transport = default_transport(tls=base.startswith("https://"))
    # The transport's own pool would connect; this one answers from memory.
    transport._pool = httpcore.ConnectionPool(network_backend=httpcore.MockBackend(reply))
    with httpx.Client(base_url=base, transport=transport, headers=_headers(None)) as client:
        client.request("POST", "/health", content=b"{}",
                       headers={"Content-Type": "application/json"}).json()


def _headers(api_key: str | None) -> dict[str, str]:
    headers = {"Accept": "application/json"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    return headers


class ApiSession:
    """A pooled, thread-safe HTTP session to one Legato API, sending `api_key` (an API token)
    as a bearer token when given."""

    def __init__(
        self,
        api_url: str,
        *,
        timeout: float = 30.0,
        retries: int = 4,
        clock: Clock = SYSTEM_CLOCK,
        transport: httpx.BaseTransport | None = None,
        api_key: str | None = None,
    ) -> None:
        if retries < 0:
            raise ConfigError(f"HttpBackend got retries={retries}; retries must be 0 or more.")
        self.base_url = api_base_url(api_url)
        self.retries = retries
        self.clock = clock
        self._closed = False
        self._lock = threading.Lock()
        self._client = httpx.Client(
            base_url=self.base_url,
            timeout=timeout,
            transport=transport or default_transport(self.base_url.startswith("https://")),
            headers=_headers(api_key),
        )

    def close(self) -> None:
        """Close pooled connections; later requests raise BackendUnavailable."""
        with self._lock:
            self._closed = True
        self._client.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        content: bytes | None = None,
        params: Params = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool,
    ) -> httpx.Response:
        """Send one request and return its 2xx response, or raise a Legato error.

        Idempotent requests are retried after any transport failure or 502/503/504; others
        only when the request surely did not reach the server or was refused unprocessed
        (503), so a lost response never makes a state change happen twice."""
        where = f"{method} {self.base_url}{path}"
        send_headers = dict(headers or {})
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
                response = self._client.request(
                    method, path, content=content, params=params, headers=send_headers
                )
            except httpx.TransportError as error:
                retryable = idempotent or isinstance(error, NOT_SENT)
                failure = BackendUnavailable(
                    f"cannot reach the Legato API for {where} ({type(error).__name__}: {error}); "
                    "check that `legato server` runs there and LEGATO_API_URL is right."
                )
                if not retryable or attempt >= self.retries:
                    raise failure from error
            except RuntimeError as error:  # httpx refuses requests on a client closed meanwhile
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
