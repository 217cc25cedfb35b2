"""The session's transport: one TLS context per process (loading the CA bundle is slow), and
connections that send small writes at once."""

from __future__ import annotations

import socket

from legato.client.session import default_transport, ssl_context


def test_every_transport_shares_the_process_tls_context() -> None:
    assert ssl_context() is ssl_context()


def test_the_transport_turns_nagles_algorithm_off() -> None:
    transport = default_transport()
    try:
        options = transport._pool._socket_options  # httpcore keeps what it applies on connect
        assert (socket.IPPROTO_TCP, socket.TCP_NODELAY, 1) in list(options or ())
    finally:
        transport.close()
