"""NotificationService.tick(now) with a fake clock and a recording sender, on SQLite and
PostgreSQL: matching runs are reported once, failures are retried with backoff and logged
with the URL masked, a failing URL does not stop the others."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from legato._clock import FakeClock
from legato.core.ids import new_id
from legato.core.records import NewFlowRun
from legato.core.states import StateType as S
from legato.errors import NotFound
from legato.orchestration.local import LocalBackend
from legato.scheduling.notifications import (
    NotificationService,
    add_rule,
    list_rules,
    remove_rule,
)
from legato.store.database import Database

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
SECRET_URL = "slack://T000/B000/very-secret-token"


class Outbox:
    def __init__(self, failing: dict[str, int] | None = None) -> None:
        self.sent: list[tuple[str, str, str]] = []
        self.failing = dict(failing or {})

    def __call__(self, url: str, title: str, body: str) -> None:
        if self.failing.get(url, 0) > 0:
            self.failing[url] -= 1
            raise ConnectionError(f"could not reach {url}")
        self.sent.append((url, title, body))


def finish(backend: LocalBackend, state: S, tags: tuple[str, ...] = ()) -> str:
    run = backend.create_flow_run(NewFlowRun(new_id(), "etl", "calm-heron", {}, S.RUNNING,
                                             backend.clock.now(), tags=tags))
    backend.set_flow_run_state(run.id, state, message=f"ended {state.value}")
    return run.id


def setup(db: Database, outbox: Outbox) -> tuple[LocalBackend, NotificationService, FakeClock]:
    clock = FakeClock(T0)
    service = NotificationService(db, outbox, ui_url="http://ui.test", clock=clock)
    service.tick()  # places the cursor
    return LocalBackend(db, clock=clock), service, clock


def test_failed_runs_are_reported_once_with_a_link(any_db: Database) -> None:
    outbox = Outbox()
    backend, service, _ = setup(any_db, outbox)
    add_rule(any_db, ["json://hooks.test/a"], now=T0, states=["failed", "crashed"])
    finish(backend, S.COMPLETED)
    failed = finish(backend, S.FAILED)
    result = service.tick()
    assert (result.sent, result.failed) == (1, 0)
    ((url, title, body),) = outbox.sent
    assert url == "json://hooks.test/a"
    assert title == "Legato: etl run calm-heron is FAILED"
    assert f"Link: http://ui.test/runs/{failed}" in body and "Reason: ended FAILED" in body
    assert service.tick().sent == 0


def test_tag_filter_picks_the_runs(any_db: Database) -> None:
    outbox = Outbox()
    backend, service, _ = setup(any_db, outbox)
    add_rule(any_db, ["json://hooks.test/a"], now=T0, states=["completed"], tags=["team-a"])
    finish(backend, S.COMPLETED, ("team-b",))
    finish(backend, S.COMPLETED, ("team-a",))
    assert service.tick().sent == 1


def test_a_failing_url_is_retried_with_backoff_then_logged_masked(
    any_db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    outbox = Outbox({SECRET_URL: 99, "json://hooks.test/flaky": 1})
    backend, service, clock = setup(any_db, outbox)
    add_rule(any_db, [SECRET_URL, "json://hooks.test/flaky"], now=T0)
    finish(backend, S.CRASHED)
    with caplog.at_level(logging.WARNING, logger="legato.notifications"):
        result = service.tick()
    assert (result.sent, result.failed) == (1, 1)
    assert [u for u, _, _ in outbox.sent] == ["json://hooks.test/flaky"]
    assert clock.sleeps == [1.0, 5.0, 1.0]
    assert "giving up" in caplog.text and "slack://***" in caplog.text
    assert "very-secret-token" not in caplog.text


def test_rules_are_listed_and_removed(any_db: Database) -> None:
    rule = add_rule(any_db, ["json://hooks.test/a"], now=T0, name="ops")
    assert [r.name for r in list_rules(any_db)] == ["ops"]
    remove_rule(any_db, rule.id)
    assert list_rules(any_db) == []
    with pytest.raises(NotFound, match="legato notifications ls"):
        remove_rule(any_db, rule.id)


def test_events_before_any_rule_exists_are_skipped_unread(any_db: Database) -> None:
    outbox = Outbox()
    backend, service, _ = setup(any_db, outbox)
    finish(backend, S.FAILED)
    assert service.tick().events == 0  # no rule: the cursor moves past it without reading
    add_rule(any_db, ["json://hooks.test/a"], now=T0, states=["failed"])
    later = finish(backend, S.FAILED)
    assert service.tick().sent == 1
    ((_, _, body),) = outbox.sent  # the run that failed before the rule is not reported
    assert f"/runs/{later}" in body
