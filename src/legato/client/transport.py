"""The API client's HTTP/1.1 transport on the standard library's `http.client`: a thread-safe
keep-alive pool of connections to one API origin, behind `ApiSession`. A forked run's process
spends about half the CPU on its one request that it would through httpx."""

from __future__ import annotations

import http.client
import os
import select
import socket
import ssl
import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import orjson

from legato._clock import Clock

# Idle connections are dropped before the server's keep-alive timeout (uvicorn: 5 s) closes
# them, so that a request rarely meets a connection the server is closing right then.
IDLE_EXPIRY = 4.0
MAX_CONNECTIONS = 32
MAX_IDLE = 16
# What a failed exchange raises: sockets' OSError (timeouts included) and http.client's
# protocol errors (a server that closed the connection without answering, a bad status line).
_EXCHANGE_ERRORS = (OSError, http.client.HTTPException)


@dataclass(frozen=True, slots=True)
class ApiResponse:
    """One answer of the API, read in full: `headers` has lower-case names."""

    method: str
    path: str
    status_code: int
    headers: Mapping[str, str]
    content: bytes

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300

    def json(self) -> Any:
        return orjson.loads(self.content)


class TransportError(Exception):
    """A request that got no answer; `sent` is False when it surely never reached the server
    (no connection could be made or had), so that even a state change may be sent again."""

    def __init__(self, kind: str, detail: str, *, sent: bool) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.sent = sent


@runtime_checkable
class Transport(Protocol):
    """Sends one request (`target` is the path and query) and returns its whole answer, or
    raises TransportError. Thread-safe; `close` drops its connections."""

    def send(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes | None
    ) -> ApiResponse: ...

    def close(self) -> None: ...


def is_readable(sock: socket.socket | None) -> bool:
    """Whether an idle keep-alive connection has something to read, which can only be the end
    of the stream (or garbage): either way it must not carry another request."""
    if sock is None:
        return True
    try:
        if hasattr(select, "poll"):
            poller = select.poll()  # unlike select(), not limited to descriptors below 1024
            poller.register(sock, select.POLLIN)
            return bool(poller.poll(0))
        readable, _, _ = select.select([sock], [], [], 0)
        return bool(readable)
    except (OSError, ValueError):  # closed meanwhile
        return True


def exchange(
    connection: http.client.HTTPConnection,
    method: str,
    target: str,
    headers: Mapping[str, str],
    body: bytes | None,
) -> tuple[ApiResponse, bool]:
    """Send one request on a connected connection and read its whole answer; the flag says
    whether the connection may carry another request."""
    connection.request(method, target, body=body, headers=dict(headers))
    response = connection.getresponse()
    content = response.read()
    names: dict[str, str] = {}
    for name, value in response.getheaders():
        key = name.lower()
        names[key] = f"{names[key]}, {value}" if key in names else value
    path = target.partition("?")[0]
    return ApiResponse(method, path, response.status, names, content), not response.will_close


class ConnectionPool:
    """Keep-alive connections to one host, shared by the threads of a process. At most
    `MAX_CONNECTIONS` requests are in flight at once; a request waits up to `timeout` for a
    free one, as it waits up to `timeout` for each socket operation."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        tls: ssl.SSLContext | None,
        timeout: float,
        clock: Clock,
        idle_expiry: float = IDLE_EXPIRY,
    ) -> None:
        self.host = host
        self.port = port
        self.tls = tls
        self.timeout = timeout
        self.clock = clock
        self.idle_expiry = idle_expiry
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self._idle: list[tuple[http.client.HTTPConnection, float]] = []  # oldest first
        self._closed = False
        _POOLS.add(self)

    def __repr__(self) -> str:
        scheme = "https" if self.tls is not None else "http"
        return f"ConnectionPool({scheme}://{self.host}:{self.port})"

    def idle_count(self) -> int:
        with self._lock:
            return len(self._idle)

    def send(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes | None
    ) -> ApiResponse:
        if not self._slots.acquire(timeout=self.timeout):
            raise TransportError(
                "PoolTimeout", f"all {MAX_CONNECTIONS} connections stayed busy for "
                f"{self.timeout} s", sent=False,
            )
        try:
            connection = self._take_idle() or self._connect()
            try:
                response, reusable = exchange(connection, method, target, headers, body)
            except _EXCHANGE_ERRORS as error:
                connection.close()
                raise TransportError(type(error).__name__, str(error), sent=True) from error
            except BaseException:  # a cancellation midway leaves the stream unusable
                connection.close()
                raise
            if reusable:
                self._put_back(connection)
            else:
                connection.close()
            return response
        finally:
            self._slots.release()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for connection, _ in idle:
            connection.close()

    def _forget_after_fork(self) -> None:
        """In a forked child: the idle connections are the parent's too (one stream cannot
        carry two processes' requests), and a lock may have been held by a parent thread."""
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        idle, self._idle = self._idle, []
        for connection, _ in idle:
            connection.close()  # only this process's descriptor: the parent's stays open

    def _connect(self) -> http.client.HTTPConnection:
        connection: http.client.HTTPConnection
        if self.tls is None:
            connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        else:
            connection = http.client.HTTPSConnection(
                self.host, self.port, timeout=self.timeout, context=self.tls
            )
        try:
            # http.client turns Nagle's algorithm off on connect, and sends a request's
            # headers and bytes body in one write: nothing waits for a delayed ACK.
            connection.connect()
        except _EXCHANGE_ERRORS as error:  # refused, unresolvable, timed out, TLS refused
            connection.close()
            raise TransportError(type(error).__name__, str(error), sent=False) from error
        return connection

    def _take_idle(self) -> http.client.HTTPConnection | None:
        if self._closed:
            raise RuntimeError(f"{self!r} was closed")
        stale: list[http.client.HTTPConnection] = []
        found = None
        now = self.clock.monotonic()
        with self._lock:
            while self._idle:
                connection, since = self._idle.pop()  # the most recently used first
                if now - since >= self.idle_expiry:
                    stale.append(connection)
                    stale.extend(old for old, _ in self._idle)  # older still
                    self._idle.clear()
                elif is_readable(connection.sock):  # the server closed it meanwhile
                    stale.append(connection)
                else:
                    found = connection
                    break
        for connection in stale:
            connection.close()
        return found

    def _put_back(self, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            if not self._closed and len(self._idle) < MAX_IDLE:
                self._idle.append((connection, self.clock.monotonic()))
                return
        connection.close()


_POOLS: weakref.WeakSet[ConnectionPool] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for pool in list(_POOLS):
        pool._forget_after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
