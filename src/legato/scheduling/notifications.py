"""NotificationService: follows the events (its own cursor) and sends a message for every
flow-run event a notification rule asks for, through an injected sender (apprise in the
server, a fake in tests). Sending happens in the server's background loop, never on a request;
each URL is tried a few times with backoff, and a failure is logged with the URL masked."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from legato._clock import SYSTEM_CLOCK, Clock
from legato.core.events import EventRecord
from legato.core.ids import new_id
from legato.core.notifications import (
    DEFAULT_STATES,
    NotificationRule,
    check_rule_fields,
    mask_url,
    message_for,
    rule_matches,
)
from legato.errors import NotFound
from legato.store import event_log
from legato.store import notifications as rule_rows
from legato.store.database import Database

_log = logging.getLogger("legato.notifications")
CURSOR = "notifications"
DEFAULT_BACKOFF = (1.0, 5.0)
DEFAULT_SETTLE_SECONDS = 10.0
# (url, title, body); raises when the message could not be delivered.
Sender = Callable[[str, str, str], None]


@dataclass(frozen=True, slots=True)
class NotifyTick:
    """What one tick did: events read, messages delivered and given up on."""

    events: int = 0
    sent: int = 0
    failed: int = 0
    waiting: bool = False


class NotificationService:
    """Sends notifications for new flow-run events.

    >>> NotificationService(db, send_with_apprise, ui_url="http://127.0.0.1:4200").tick()
    """

    def __init__(self, db: Database, send: Sender, *, ui_url: str, clock: Clock = SYSTEM_CLOCK,
                 backoff: Sequence[float] = DEFAULT_BACKOFF, batch_size: int = 200,
                 settle_seconds: float = DEFAULT_SETTLE_SECONDS) -> None:
        self.db = db
        self.send = send
        self.ui_url = ui_url
        self.clock = clock
        self.backoff = tuple(backoff)
        self.batch_size = batch_size
        self.settle = timedelta(seconds=settle_seconds)

    def tick(self, now: datetime | None = None) -> NotifyTick:
        """Send what the events after the cursor call for, then move the cursor (a crash in
        between sends those messages again: at least once). The first tick ever starts at
        the newest event."""
        now = self.clock.now() if now is None else now
        newest = None
        with self.db.reading() as conn:
            cursor = event_log.read_cursor(conn, CURSOR)
            if cursor is not None:
                # Read before the rules: an event stored after a rule is added is newer.
                last = event_log.last_seq(conn)
                rules = [r for r in rule_rows.list_rules(conn) if r.enabled]
                if rules:
                    events = event_log.events_after(conn, cursor, self.batch_size)
                else:  # nothing to send: skip to the newest event without reading any
                    newest = last
        if cursor is None:
            with self.db.writing() as conn:
                event_log.write_cursor(conn, CURSOR, event_log.last_seq(conn) or -1, now)
            return NotifyTick()
        if newest is not None:
            if newest > cursor:
                with self.db.writing() as conn:
                    event_log.write_cursor(conn, CURSOR, newest, now)
            return NotifyTick()
        if not events:
            return NotifyTick()
        deliveries: list[tuple[NotificationRule, EventRecord]] = []
        handled, waiting = 0, False
        for event in events:
            if cursor >= 0 and event.seq != cursor + 1 and now - event.received < self.settle:
                waiting = True  # an earlier event may still be committing
                break
            deliveries.extend((rule, event) for rule in rules if rule_matches(rule, event))
            cursor = event.seq
            handled += 1
        sent = failed = 0
        for rule, event in deliveries:
            title, body = message_for(event, self.ui_url)
            for url in rule.urls:
                if self._deliver(url, title, body, rule):
                    sent += 1
                else:
                    failed += 1
        with self.db.writing() as conn:
            event_log.write_cursor(conn, CURSOR, cursor, now)
        return NotifyTick(handled, sent, failed, waiting)

    def _deliver(self, url: str, title: str, body: str, rule: NotificationRule) -> bool:
        attempts = len(self.backoff) + 1
        for attempt in range(attempts):
            try:
                self.send(url, title, body)
                return True
            except Exception as error:  # any sender failure is retried, then logged
                reason = f"{type(error).__name__}: {error}".replace(url, mask_url(url))
                if attempt + 1 < attempts:
                    _log.warning("notification to %s failed (%s); retrying in %s s",
                                 mask_url(url), reason, self.backoff[attempt])
                    self.clock.sleep(self.backoff[attempt])
                else:
                    _log.error("notification to %s of rule %s failed %d times, giving up: %s",
                               mask_url(url), rule.id, attempts, reason)
        return False

    def run(self, stop: threading.Event, *, interval_seconds: float = 2.0) -> None:
        """Tick until `stop` is set; a failed tick is logged and retried next time."""
        while not stop.is_set():
            try:
                result = self.tick()
            except Exception:  # Promise 6: the loop outlives a bad tick
                _log.exception("notification tick failed; retrying in %s s", interval_seconds)
                result = NotifyTick()
            if result.events < self.batch_size:
                stop.wait(interval_seconds)


def add_rule(db: Database, urls: Sequence[str], *, now: datetime,
             states: Sequence[str] = DEFAULT_STATES, deployment: str | None = None,
             tags: Sequence[str] = (), name: str | None = None) -> NotificationRule:
    """Check and store a rule.

    >>> add_rule(db, ["json://hooks.example.com/legato"], now=now, states=["failed"])
    """
    check_rule_fields(list(urls), list(states), "notification rule")
    rule = NotificationRule(new_id(), tuple(urls), tuple(dict.fromkeys(states)), deployment,
                            tuple(tags), name, True, now)
    with db.writing() as conn:
        rule_rows.insert_rule(conn, rule)
    return rule


def list_rules(db: Database) -> list[NotificationRule]:
    with db.reading() as conn:
        return rule_rows.list_rules(conn)


def remove_rule(db: Database, rule_id: str) -> None:
    with db.writing() as conn:
        if not rule_rows.delete_rule(conn, rule_id):
            raise NotFound(f"notification rule {rule_id!r} does not exist; see "
                           "`legato notifications ls`.")
