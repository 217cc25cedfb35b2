"""Wake-ups for long-poll claims: a write that makes a run claimable marks its transaction;
after the commit the Database rings its `Doorbell`, and on PostgreSQL the transaction also
NOTIFYs `legato_claimable`, which a listener thread turns into rings in other processes."""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url

from legato._clock import perf_seconds

CHANNEL = "legato_claimable"
# conn.info outlives the transaction (it belongs to the pooled DBAPI connection), so
# Database.writing() clears this key before and after every write transaction.
CLAIMABLE_KEY = "legato.claimable"
_log = logging.getLogger("legato.store.wakeups")


def mark_claimable(conn: Connection) -> None:
    """Note that this write transaction makes a run claimable (a SCHEDULED run was inserted
    or rescheduled); waiting claimers are woken once it commits."""
    if conn.info.get(CLAIMABLE_KEY):
        return
    conn.info[CLAIMABLE_KEY] = True
    if conn.dialect.name == "postgresql":
        # Delivered by PostgreSQL at commit, and only if the transaction commits.
        conn.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})


class Doorbell:
    """A generation counter under a condition: waiters remember the generation they saw,
    and `wait` returns as soon as it moved (or after the timeout)."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._generation = 0

    @property
    def generation(self) -> int:
        with self._condition:
            return self._generation

    def ring(self) -> None:
        with self._condition:
            self._generation += 1
            self._condition.notify_all()

    def wait(self, seen: int, timeout: float) -> bool:
        """Wait up to `timeout` seconds for a ring after generation `seen`; True if rung."""
        deadline = perf_seconds() + max(timeout, 0.0)
        with self._condition:
            while self._generation == seen:
                remaining = deadline - perf_seconds()
                if remaining <= 0:
                    return False
                self._condition.wait(remaining)
            return True


class NotifyListener:
    """A daemon thread that LISTENs on `legato_claimable` with its own psycopg connection
    and rings `doorbell` per notification; reconnects after errors, stops on `stop()`."""

    def __init__(self, url: str, doorbell: Doorbell, *, poll_seconds: float = 1.0) -> None:
        parsed = make_url(url).set(drivername="postgresql")
        self._conninfo = parsed.render_as_string(hide_password=False)
        self._doorbell = doorbell
        self._poll_seconds = poll_seconds
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="legato-notify", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()

    def _run(self) -> None:
        import psycopg  # the PostgreSQL driver, present whenever this listener is used

        while not self._stopped.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    # A notification sent before LISTEN took effect would be missed; a ring
                    # makes every waiter look again once.
                    self._doorbell.ring()
                    while not self._stopped.is_set():
                        for _ in conn.notifies(timeout=self._poll_seconds):
                            self._doorbell.ring()
            except Exception as error:  # reconnect: waiters still recheck on their own
                _log.warning("LISTEN %s failed (%s); retrying", CHANNEL, error)
                self._stopped.wait(self._poll_seconds)
