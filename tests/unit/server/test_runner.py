"""The runner's guards: only loopback addresses without --auth, a clear error when
the port is taken, and the URL it announces."""

from __future__ import annotations

import socket

import pytest

from legato.errors import ConfigError
from legato.server.runner import bind_socket, check_bind_host, is_loopback, url_of


@pytest.mark.parametrize("host", ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"])
def test_loopback_addresses_are_allowed(host: str) -> None:
    assert is_loopback(host)
    check_bind_host(host, auth=False)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.0.0.5", "example.com"])
def test_other_addresses_need_auth_and_say_how_to_create_the_first_admin(host: str) -> None:
    with pytest.raises(
        ConfigError,
        match=r"without authentication.*legato users create admin --role admin.*--auth",
    ):
        check_bind_host(host, auth=False)
    check_bind_host(host, auth=True)


def test_taken_port_is_a_config_error_naming_it() -> None:
    with bind_socket("127.0.0.1", 0) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError, match=f"127.0.0.1:{port}.*--port"):
            bind_socket("127.0.0.1", port)


def test_announced_url_has_the_real_port_and_the_api_prefix() -> None:
    with bind_socket("127.0.0.1", 0) as sock:
        assert url_of(sock, "127.0.0.1") == f"http://127.0.0.1:{sock.getsockname()[1]}/api/v1"


def test_accepted_connections_do_not_delay_small_writes() -> None:
    # A response's headers and body are separate writes; with Nagle's algorithm on, the body
    # waits for the client's delayed ACK (40 ms a request).
    with bind_socket("127.0.0.1", 0) as sock, socket.create_connection(sock.getsockname()[:2]):
        accepted, _ = sock.accept()
        with accepted:
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
