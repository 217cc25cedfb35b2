"""The session's transport: one TLS context per process (loading the CA bundle is slow), none
for a plain-http API, and a warm-up that loads what a first request loads without sending
anything."""

from __future__ import annotations

import socket
import ssl
from typing import Any

import pytest

from legato.client import session as session_module
from legato.client.session import ApiSession, default_transport, ssl_context, warm_up
from legato.client.transport import ApiResponse, exchange
from legato.errors import ConfigError


def test_every_transport_shares_the_process_tls_context() -> None:
    assert ssl_context() is ssl_context()


def test_a_plain_http_session_loads_no_ca_bundle() -> None:
    ssl_context.cache_clear()
    session = ApiSession("http://127.0.0.1:4200")
    try:
        assert session._transport.tls is None  # type: ignore[attr-defined]  # the pool's
        assert ssl_context.cache_info().misses == 0
    finally:
        session.close()


def test_an_https_session_verifies_against_the_process_ca_bundle() -> None:
    session = ApiSession("https://legato.example")
    try:
        context = session._transport.tls  # type: ignore[attr-defined]  # the pool's
        assert context is ssl_context()
        assert context.cert_store_stats()["x509_ca"] > 0
        assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    finally:
        session.close()


def test_the_pool_connects_to_the_port_of_the_url_or_the_schemes() -> None:
    assert (default_transport("http://h/api/v1").port,
            default_transport("https://h/api/v1").port,
            default_transport("http://h:8080/api/v1").port) == (80, 443, 8080)
    with pytest.raises(ConfigError, match="bad port"):
        default_transport("http://h:99999/api/v1")


def test_warm_up_sends_nothing_to_the_server() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.setblocking(False)
        warm_up(f"http://127.0.0.1:{listener.getsockname()[1]}")
        try:
            connection, _ = listener.accept()
        except BlockingIOError:
            return
        connection.close()
        raise AssertionError("warm_up connected to the server")


def test_warm_up_of_a_bad_url_names_the_fix() -> None:
    with pytest.raises(ConfigError, match="LEGATO_API_URL"):
        warm_up("127.0.0.1:4200")



def test_warm_up_makes_a_whole_exchange_in_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    answers: list[ApiResponse] = []

    def spy(*args: Any) -> tuple[ApiResponse, bool]:
        answer, reusable = exchange(*args)
        answers.append(answer)
        return answer, reusable

    monkeypatch.setattr(session_module, "exchange", spy)
    warm_up("http://127.0.0.1:9")
    [answer] = answers
    assert (answer.method, answer.path, answer.status_code) == ("POST", "/api/v1/health", 200)
    assert answer.json() == {}
