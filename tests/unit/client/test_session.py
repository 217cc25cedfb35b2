"""The session's transport: one TLS context per process (loading the CA bundle is slow), none
for a plain-http API, connections that send small writes at once, and a warm-up that loads
what a first request loads without sending anything."""

from __future__ import annotations

import socket
import ssl

import pytest

from legato.client.session import ApiSession, default_transport, ssl_context, warm_up
from legato.errors import ConfigError


def test_every_transport_shares_the_process_tls_context() -> None:
    assert ssl_context() is ssl_context()


def test_the_transport_turns_nagles_algorithm_off() -> None:
    transport = default_transport()
    try:
        options = transport._pool._socket_options  # httpcore keeps what it applies on connect
        assert (socket.IPPROTO_TCP, socket.TCP_NODELAY, 1) in list(options or ())
    finally:
        transport.close()


def _tls_context(transport: object) -> ssl.SSLContext:
    context = transport._pool._ssl_context  # type: ignore[attr-defined]  # httpcore's
    assert isinstance(context, ssl.SSLContext)
    return context


def test_a_plain_http_session_loads_no_ca_bundle_and_would_refuse_any_certificate() -> None:
    session = ApiSession("http://127.0.0.1:4200")
    try:
        context = _tls_context(session._client._transport)
        assert context.cert_store_stats()["x509_ca"] == 0
        assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    finally:
        session.close()


def test_an_https_session_verifies_against_the_process_ca_bundle() -> None:
    session = ApiSession("https://legato.example")
    try:
        assert _tls_context(session._client._transport) is ssl_context()
        assert ssl_context().cert_store_stats()["x509_ca"] > 0
    finally:
        session.close()


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
