"""The session's stdlib transport against a real HTTP/1.1 server on 127.0.0.1: keep-alive
reuse, idle connections the server closed (or that grew too old) replaced before use, what is
retried after a refused connection or a reset, timeouts, chunked answers, many threads."""

from __future__ import annotations

import http.server
import os
import select
import socket
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from legato._clock import FakeClock
from legato.client.session import ApiSession, Params
from legato.client.transport import MAX_IDLE, ConnectionPool, TransportError
from legato.errors import BackendUnavailable


@dataclass
class Seen:
    """What the server saw: each request as (method, target, headers, body), connections."""

    requests: list[tuple[str, str, dict[str, str], bytes]] = field(default_factory=list)
    connections: list[socket.socket] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # http.server writes headers apart from the body
    server: Server

    def setup(self) -> None:
        super().setup()
        with self.server.seen.lock:
            self.server.seen.connections.append(self.connection)

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _record(self) -> bytes:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with self.server.seen.lock:
            self.server.seen.requests.append(
                (self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
        return body

    def do_GET(self) -> None:
        self._answer(self._record())

    def do_POST(self) -> None:
        self._answer(self._record())

    def _answer(self, body: bytes) -> None:
        path = self.path.partition("?")[0].removeprefix("/api/v1")
        if path == "/reset":  # read the request, then drop the connection unanswered
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.close_connection = True
            return
        if path == "/slow":
            self.server.seen.release.wait(10)
            self.close_connection = True
            return
        if path == "/chunked":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for chunk in (b'{"parts": ', b"[1, 2, ", b"3]}"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
            return
        reply = b'{"echo": %d}' % len(body)
        self.send_response(503 if path == "/busy" else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        if path == "/close":
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(reply)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    seen: Seen


class LocalServer:
    """A threaded HTTP/1.1 server on a port reserved at once and listened on at `start`:
    until then, connecting is refused."""

    def __init__(self) -> None:
        self.seen = Seen()
        self.server = Server(("127.0.0.1", 0), Handler, bind_and_activate=False)
        self.server.seen = self.seen
        self.server.socket.bind(("127.0.0.1", 0))
        self.port: int = self.server.socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        self.server.server_activate()
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                       daemon=True)
        self.thread.start()

    def close_connections(self) -> None:
        with self.seen.lock:
            connections = list(self.seen.connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed by its handler

    def stop(self) -> None:
        self.seen.release.set()
        if self.thread is not None:
            self.server.shutdown()
            self.thread.join(10)
        self.close_connections()
        self.server.server_close()


@pytest.fixture
def server() -> Iterator[LocalServer]:
    local = LocalServer()
    local.start()
    try:
        yield local
    finally:
        local.stop()


@pytest.fixture
def unstarted() -> Iterator[LocalServer]:
    local = LocalServer()
    try:
        yield local
    finally:
        local.stop()


class StartingClock(FakeClock):
    """A fake clock whose first back-off sleep starts the server that refused the request."""

    def __init__(self, server: LocalServer) -> None:
        super().__init__()
        self.server = server

    def sleep(self, seconds: float) -> None:
        if not self.sleeps:
            self.server.start()
        super().sleep(seconds)


def pool_for(server: LocalServer, clock: FakeClock | None = None,
             timeout: float = 10.0) -> ConnectionPool:
    return ConnectionPool("127.0.0.1", server.port, tls=None, timeout=timeout,
                          clock=clock or FakeClock())


def pooled_socket(pool: ConnectionPool) -> socket.socket:
    [(connection, _)] = pool._idle
    assert connection.sock is not None
    sock: socket.socket = connection.sock
    return sock


def test_keep_alive_connections_are_reused(server: LocalServer) -> None:
    pool = pool_for(server)
    try:
        for _ in range(3):
            answer = pool.send("POST", "/api/v1/x", {"Content-Type": "application/json"},
                               b"[1]")
            assert (answer.status_code, answer.json()) == (200, {"echo": 3})
        assert len(server.seen.connections) == 1 and len(server.seen.requests) == 3
        assert pooled_socket(pool).getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    finally:
        pool.close()


def test_a_connection_the_server_closed_while_idle_is_replaced_before_use(
        server: LocalServer) -> None:
    pool = pool_for(server)
    try:
        pool.send("GET", "/api/v1/x", {}, None)
        server.close_connections()
        sock = pooled_socket(pool)
        assert select.select([sock], [], [], 10)[0], "the server's FIN never arrived"
        answer = pool.send("POST", "/api/v1/x", {}, b"{}")
        assert answer.is_success
        assert len(server.seen.connections) == 2
        assert [method for method, *_ in server.seen.requests] == ["GET", "POST"]
        assert sock.fileno() == -1  # the dead one was closed, not left to the collector
    finally:
        pool.close()


def test_a_connection_idle_longer_than_the_expiry_is_not_reused(server: LocalServer) -> None:
    clock = FakeClock()
    pool = pool_for(server, clock)
    try:
        pool.send("GET", "/api/v1/x", {}, None)
        clock.advance(3.9)
        pool.send("GET", "/api/v1/x", {}, None)
        assert len(server.seen.connections) == 1
        clock.advance(4.0)
        pool.send("GET", "/api/v1/x", {}, None)
        assert len(server.seen.connections) == 2 and pool.idle_count() == 1
    finally:
        pool.close()


def test_a_connection_the_server_announces_closing_is_not_pooled(server: LocalServer) -> None:
    pool = pool_for(server)
    try:
        assert pool.send("GET", "/api/v1/close", {}, None).is_success
        assert pool.idle_count() == 0
    finally:
        pool.close()


def test_a_chunked_answer_is_read_whole_and_the_connection_kept(server: LocalServer) -> None:
    pool = pool_for(server)
    try:
        answer = pool.send("GET", "/api/v1/chunked", {}, None)
        assert answer.json() == {"parts": [1, 2, 3]}
        assert answer.headers["transfer-encoding"] == "chunked"
        pool.send("GET", "/api/v1/chunked", {}, None)
        assert len(server.seen.connections) == 1
    finally:
        pool.close()


def test_the_session_sends_its_headers_params_and_body(server: LocalServer) -> None:
    session = ApiSession(server.url, api_key="lgt_k", clock=FakeClock())
    try:
        params: Params = [("state", "A B"), ("state", "C/D"), ("flag", True), ("none", None),
                  ("n", 2)]
        answer = session.request("POST", "/x", content=b'{"a": 1}', params=params,
                                 headers={"Idempotency-Key": "k1"}, idempotent=False)
        assert (answer.method, answer.path, answer.json()) == ("POST", "/api/v1/x",
                                                               {"echo": 8})
        [(method, target, headers, body)] = server.seen.requests
        assert method == "POST"
        assert target == "/api/v1/x?state=A+B&state=C%2FD&flag=true&none=&n=2"
        assert headers["authorization"] == "Bearer lgt_k"
        assert headers["accept"] == "application/json"
        assert headers["content-type"] == "application/json"
        assert headers["idempotency-key"] == "k1" and body == b'{"a": 1}'
    finally:
        session.close()


def test_a_refused_connection_is_retried_even_for_a_state_change(
        unstarted: LocalServer) -> None:
    clock = StartingClock(unstarted)
    session = ApiSession(unstarted.url, clock=clock, retries=2)
    try:
        answer = session.request("POST", "/x", content=b"{}", idempotent=False)
        assert answer.is_success and clock.sleeps == [0.1]
        assert len(unstarted.seen.requests) == 1
    finally:
        session.close()


def test_a_refused_connection_is_not_sent(unstarted: LocalServer) -> None:
    pool = pool_for(unstarted)
    try:
        with pytest.raises(TransportError, match="ConnectionRefusedError") as caught:
            pool.send("POST", "/api/v1/x", {}, b"{}")
        assert caught.value.sent is False
    finally:
        pool.close()


def test_a_state_change_reset_after_sending_is_not_sent_again(server: LocalServer) -> None:
    session = ApiSession(server.url, clock=FakeClock(), retries=3)
    try:
        with pytest.raises(BackendUnavailable, match="cannot reach the Legato API for POST"):
            session.request("POST", "/reset", content=b"{}", idempotent=False)
        assert len(server.seen.requests) == 1
    finally:
        session.close()


def test_an_idempotent_request_reset_after_sending_is_retried(server: LocalServer) -> None:
    clock = FakeClock()
    session = ApiSession(server.url, clock=clock, retries=2)
    try:
        with pytest.raises(BackendUnavailable):
            session.request("GET", "/reset", idempotent=True)
        assert len(server.seen.requests) == 3 and clock.sleeps == [0.1, 0.2]
    finally:
        session.close()


def test_a_state_change_refused_unprocessed_is_retried(server: LocalServer) -> None:
    session = ApiSession(server.url, clock=FakeClock(), retries=1)
    try:
        with pytest.raises(BackendUnavailable):
            session.request("POST", "/busy", content=b"{}", idempotent=False)
        assert len(server.seen.requests) == 2
    finally:
        session.close()


def test_an_answer_that_does_not_come_times_out(server: LocalServer) -> None:
    session = ApiSession(server.url, clock=FakeClock(), timeout=0.2, retries=3)
    try:
        with pytest.raises(BackendUnavailable, match="TimeoutError"):
            session.request("POST", "/slow", content=b"{}", idempotent=False)
        assert len(server.seen.requests) == 1
    finally:
        session.close()


def test_threads_share_the_pool_without_mixing_answers(server: LocalServer) -> None:
    pool = pool_for(server)
    failures: list[BaseException] = []

    def work(size: int) -> None:
        try:
            for _ in range(10):
                answer = pool.send("POST", "/api/v1/x", {}, b"x" * size)
                assert answer.json() == {"echo": size}
        except BaseException as error:  # reported by the test's thread
            failures.append(error)

    threads = [threading.Thread(target=work, args=(size,)) for size in range(1, 21)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert not failures and len(server.seen.requests) == 200
        assert len(server.seen.connections) <= 20 and pool.idle_count() <= MAX_IDLE
    finally:
        pool.close()


def test_a_closed_pool_keeps_no_connection_and_refuses_requests(server: LocalServer) -> None:
    session = ApiSession(server.url, clock=FakeClock())
    session.request("GET", "/x", idempotent=True)
    session.close()
    with pytest.raises(BackendUnavailable, match="closed"):
        session.request("GET", "/x", idempotent=True)
    assert len(server.seen.requests) == 1


def test_a_forked_child_does_not_share_the_parents_idle_connections(
        server: LocalServer) -> None:
    pool = pool_for(server)
    try:
        pool.send("GET", "/api/v1/x", {}, None)
        pid = os.fork()
        if pid == 0:  # the child only reports what it inherited
            os._exit(10 + pool.idle_count())
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 10
        assert pool.idle_count() == 1
        pool.send("GET", "/api/v1/x", {}, None)  # the parent's connection was left open
        assert len(server.seen.connections) == 1
    finally:
        pool.close()
