"""Notifications for real: rules managed with `legato notifications add|ls|rm` against a live
API server, and messages sent by apprise to a webhook receiver and an SMTP server (aiosmtpd),
both on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from legato.core.ids import new_id
from legato.core.records import NewFlowRun
from legato.core.states import StateType as S
from legato.integrations.notifications import send_with_apprise
from legato.orchestration.local import LocalBackend, create_local_backend
from legato.scheduling.notifications import NotificationService
from legato.settings import Settings

from .live_server import ServerThread
from .test_deployments_cli import as_json, legato


class Hooks:
    """A webhook receiver on 127.0.0.1 that keeps every JSON body posted to it."""

    def __init__(self) -> None:
        received: list[dict[str, Any]] = []
        self.received = received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["content-length"])
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"json://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[Envelope] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def hooks() -> Iterator[Hooks]:
    receiver = Hooks()
    receiver.thread.start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield mailbox, port
    controller.stop()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[ServerThread, LocalBackend]]:
    backend = create_local_backend(Settings.from_env({"LEGATO_HOME": str(tmp_path)}))
    server = ServerThread(backend)
    server.start()
    yield server, backend
    server.stop()
    backend.close()


def test_rules_from_the_cli_send_to_a_webhook_and_by_mail(
    served: tuple[ServerThread, LocalBackend], hooks: Hooks, smtp: tuple[Mailbox, int]
) -> None:
    server, backend = served
    mailbox, port = smtp
    mail_url = f"mailto://127.0.0.1:{port}?from=legato@example.com&to=ops@example.com"
    service = NotificationService(backend.db, send_with_apprise, ui_url="http://ui.test")
    service.tick()
    added = legato(server, "notifications", "add", "--url", hooks.url, "--url", mail_url,
                   "--state", "failed", "--name", "ops")
    assert "ops@example.com" not in added.output and "json://127.0.0.1:" in added.output
    (listed,) = as_json(server, "notifications", "ls")
    assert listed["urls"] == [f"json://127.0.0.1:{hooks.server.server_port}/***",
                              f"mailto://127.0.0.1:{port}/***"]
    assert "ops" in legato(server, "notifications", "ls").output

    run = backend.create_flow_run(NewFlowRun(new_id(), "etl", "calm-heron", {}, S.RUNNING,
                                             backend.clock.now()))
    backend.set_flow_run_state(run.id, S.FAILED, message="ValueError: no rows")
    result = service.tick()
    assert (result.sent, result.failed) == (2, 0)
    (posted,) = hooks.received
    assert posted["title"] == "Legato: etl run calm-heron is FAILED"
    assert f"http://ui.test/runs/{run.id}" in posted["message"]
    (mail,) = mailbox.messages
    assert mail.rcpt_tos == ["ops@example.com"]
    content = mail.content if isinstance(mail.content, bytes) else b""
    assert b"Reason: ValueError: no rows" in content

    legato(server, "notifications", "rm", listed["id"])
    assert as_json(server, "notifications", "ls") == []
    missing = legato(server, "notifications", "rm", listed["id"], status=2)
    assert "does not exist" in missing.output


def test_bad_rules_are_refused(served: tuple[ServerThread, LocalBackend]) -> None:
    server, _ = served
    bad = legato(server, "notifications", "add", "--url", "no-scheme-secret", status=2)
    assert "not an apprise URL" in bad.output and "no-scheme-secret" not in bad.output
    assert as_json(server, "notifications", "ls") == []


def test_an_unknown_apprise_scheme_fails_to_send_and_is_reported() -> None:
    with pytest.raises(Exception, match=r"does not understand .*nosuchservice://\*\*\*"):
        send_with_apprise("nosuchservice://token/secret", "t", "b")
