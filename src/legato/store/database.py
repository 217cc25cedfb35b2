"""Engines and connections for the store: SQLite (one writer connection per process behind a
lock, readers on their own connections) and PostgreSQL (psycopg 3, a normal pool). This is
the one boundary where driver errors become BackendUnavailable, ConfigError or Conflict."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import Connection as Connection  # re-exported so callers need no SQLAlchemy
from sqlalchemy import Engine, Table, create_engine, event, exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import QueuePool, StaticPool
from sqlalchemy.sql.dml import Insert

from legato._clock import SYSTEM_CLOCK, perf_seconds
from legato.errors import BackendUnavailable, ConfigError, Conflict
from legato.store.tables import NaiveDatetimeError
from legato.store.wakeups import CLAIMABLE_KEY, Doorbell, NotifyListener

SQLITE_BUSY_TIMEOUT_MS = 30_000
_SQLITE_PRAGMAS = (
    f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
)
_WAL_ATTEMPTS = 20
# PostgreSQL SQLSTATE for "the schema is missing", not "the server is down".
_UNDEFINED_TABLE = "42P01"
# Deadlock or serialization failure: transient, the transaction can simply be retried.
_TRANSACTION_ROLLBACK = "40"
_SQLITE_UNAVAILABLE = ("unable to open", "disk i/o error", "readonly database", "is full")


def parse_url(url: str) -> URL:
    """Parse a database URL, turning a malformed one into a ConfigError."""
    try:
        return make_url(url)
    except exc.ArgumentError:
        raise ConfigError(
            f"database URL {url!r} is not a valid URL; use sqlite:///path/to/legato.db "
            "or postgresql+psycopg://user@host/dbname."
        ) from None


def safe_url(url: str | URL) -> str:
    """The URL with any password hidden, for messages and logs."""
    parsed = parse_url(url) if isinstance(url, str) else url
    return parsed.render_as_string(hide_password=True)


def _is_memory(url: URL) -> bool:
    database = url.database or ""
    return database in ("", ":memory:") or "mode=memory" in str(url)


def sqlite_path(url: str) -> Path | None:
    """The file a SQLite URL points to, or None for PostgreSQL and in-memory SQLite."""
    parsed = parse_url(url)
    if parsed.get_backend_name() != "sqlite" or _is_memory(parsed):
        return None
    return Path(parsed.database or "")


def ensure_sqlite_directory(url: str) -> None:
    """Create the directory a SQLite database file lives in, if the URL is SQLite."""
    path = sqlite_path(url)
    if path is not None:
        path.expanduser().parent.mkdir(parents=True, exist_ok=True)


_FILE_LOCKS: dict[Path, threading.Lock] = {}
_FILE_LOCKS_GUARD = threading.Lock()


def _file_write_lock(path: Path) -> threading.Lock:
    key = path.expanduser().resolve()
    with _FILE_LOCKS_GUARD:
        return _FILE_LOCKS.setdefault(key, threading.Lock())


def _use_wal(cursor: Any) -> None:
    # Switching a new file to WAL takes an exclusive lock, and SQLite refuses it at once,
    # without waiting for busy_timeout, while another connection is switching too (its
    # deadlock avoidance). It only happens to the first connections to a new file.
    delay = 0.005
    for _ in range(_WAL_ATTEMPTS):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error):
                raise
            SYSTEM_CLOCK.sleep(delay)
            delay = min(delay * 2, 0.5)
    cursor.execute("PRAGMA journal_mode=WAL")


# A pooled PostgreSQL connection idle for longer than this is pinged before it is used.
PING_AFTER_IDLE_SECONDS = 1.0
_IDLE_SINCE = "legato.idle_since"


def _ping_idle_connections(engine: Engine) -> None:
    """After a database restart every pooled connection is dead: check a connection that sat
    idle before handing it out, and replace it if it is (SQLAlchemy's pre-ping, but not for a
    connection in use a moment ago, which would add a round trip to every transaction). A
    connection that died within that moment fails its statement, which invalidates the pool
    and answers BackendUnavailable (503: try again)."""

    @event.listens_for(engine, "connect")
    def _on_connect(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = perf_seconds()

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = perf_seconds()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if perf_seconds() - record.info.get(_IDLE_SINCE, 0.0) <= PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # The pool discards this connection and checks out another (a new one if needed).
            raise exc.DisconnectionError(f"a pooled connection is dead ({error})") from error


def _configure_sqlite(engine: Engine, begin: str) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite, which would otherwise BEGIN lazily
        # (and never BEGIN IMMEDIATE); SQLAlchemy's "begin" event below emits it instead.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            for pragma in _SQLITE_PRAGMAS:
                cursor.execute(pragma)
            _use_wal(cursor)
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql(begin)


class Database:
    """A store database: hands out read connections and serialized write transactions.

    >>> db = Database("sqlite:////tmp/legato-doc.db")
    >>> with db.writing() as conn: ...
    """

    def __init__(self, url: str, *, pool_size: int = 20, max_overflow: int = 20) -> None:
        self.url = url
        parsed = parse_url(url)
        self.dialect = parsed.get_backend_name()
        if self.dialect not in ("sqlite", "postgresql"):
            raise ConfigError(
                f"database URL {safe_url(parsed)!r} uses {self.dialect!r}; Legato supports "
                "sqlite:/// and postgresql+psycopg:// URLs."
            )
        self.doorbell = Doorbell()
        self._listener: NotifyListener | None = None
        self._listener_lock = threading.Lock()
        self._write_lock: AbstractContextManager[Any]
        self._read_lock: AbstractContextManager[Any]
        if self.dialect == "sqlite":
            self._init_sqlite(parsed, pool_size + max_overflow)
        else:
            if parsed.drivername == "postgresql":
                parsed = parsed.set(drivername="postgresql+psycopg")
            # A connection past `pool_size` is closed when it is returned, and PostgreSQL
            # starts a backend process for every new one (a few ms of CPU each): the pool
            # keeps as many as a busy server uses at once (with 16 runs ending at a time, a
            # pool of 5 opened and closed a connection for most requests). Last in, first
            # out: the few connections a quiet server needs stay warm (their backend's caches
            # and prepared statements), the rest sit idle.
            self.write_engine = create_engine(
                parsed, pool_size=pool_size, max_overflow=max_overflow, pool_use_lifo=True
            )
            _ping_idle_connections(self.write_engine)
            self.read_engine = self.write_engine
            self._write_lock = nullcontext()
            self._read_lock = nullcontext()

    def _init_sqlite(self, parsed: URL, readers: int) -> None:
        connect_args = {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        # SQLite allows one writer at a time per file. Writers of this process queue on one
        # lock per file (shared by every Database on it) instead of failing "database is
        # locked"; BEGIN IMMEDIATE makes other processes wait on busy_timeout up front.
        if _is_memory(parsed):
            lock = threading.Lock()
            self._write_lock = lock
            # Every connection to :memory: is a separate database, so share exactly one.
            engine = create_engine(parsed, connect_args=connect_args, poolclass=StaticPool)
            _configure_sqlite(engine, "BEGIN IMMEDIATE")
            self.write_engine = self.read_engine = engine
            self._read_lock = lock
            return
        self._write_lock = _file_write_lock(Path(parsed.database or ""))
        self.write_engine = create_engine(
            parsed,
            connect_args=connect_args,
            poolclass=QueuePool,
            pool_size=1,
            max_overflow=0,
        )
        _configure_sqlite(self.write_engine, "BEGIN IMMEDIATE")
        self.read_engine = create_engine(
            parsed,
            connect_args=connect_args,
            poolclass=QueuePool,
            pool_size=min(readers, 8),
            max_overflow=max(readers - 8, 0),
        )
        _configure_sqlite(self.read_engine, "BEGIN")
        self._read_lock = nullcontext()

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection for reads inside one transaction (a consistent snapshot)."""
        with self._read_lock, self.translate_errors(), self.read_engine.connect() as conn:
            yield conn

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        """A write transaction, committed on exit and rolled back on error.

        On SQLite, the process's only writer connection, held under a lock."""
        with self._write_lock, self.translate_errors(), self.write_engine.begin() as conn:
            conn.info.pop(CLAIMABLE_KEY, None)
            yield conn
            claimable = conn.info.pop(CLAIMABLE_KEY, False)
        if claimable:
            self.doorbell.ring()

    def wait_claimable(self, seen: int, timeout: float) -> bool:
        """Wait up to `timeout` seconds for a committed write that made a run claimable
        after doorbell generation `seen` (this process's writes; on PostgreSQL any process's)."""
        if self.dialect == "postgresql" and self._listener is None:
            with self._listener_lock:
                if self._listener is None:
                    self._listener = NotifyListener(self.url, self.doorbell)
                    self._listener.start()
        return self.doorbell.wait(seen, timeout)

    @contextmanager
    def translate_errors(self) -> Iterator[None]:
        """Turn driver errors into Legato errors: unreachable or locked database ->
        BackendUnavailable, missing schema -> ConfigError, constraint violation -> Conflict."""
        try:
            yield
        except exc.TimeoutError as error:
            raise BackendUnavailable(
                f"no free connection to {safe_url(self.url)} within the pool timeout; "
                "lower concurrency or raise the pool size."
            ) from error
        except exc.DBAPIError as error:
            translated = self._translate(error)
            if translated is None:
                raise
            raise translated from error
        except exc.StatementError as error:
            # A value SQLAlchemy could not bind: surface our own error, not its wrapper.
            if isinstance(error.orig, NaiveDatetimeError):
                raise error.orig from None
            raise

    def _translate(self, error: exc.DBAPIError) -> Exception | None:
        where = safe_url(self.url)
        text = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        sqlstate = getattr(error.orig, "sqlstate", None)
        if isinstance(error, exc.IntegrityError):
            return Conflict(
                f"the write to {where} collides with a stored row ({text}); use a new id or "
                "read the stored row instead."
            )
        if "no such table" in text or sqlstate == _UNDEFINED_TABLE:
            return ConfigError(
                f"the database at {where} has no Legato schema ({text}); "
                "run `legato db upgrade` against it."
            )
        if self.dialect == "sqlite" and "locked" in text:
            return BackendUnavailable(
                f"the SQLite database {where} stayed locked by another process for "
                f"{SQLITE_BUSY_TIMEOUT_MS // 1000} s ({text}); retry once that process "
                "has finished writing."
            )
        if sqlstate is not None and sqlstate.startswith(_TRANSACTION_ROLLBACK):
            return BackendUnavailable(
                f"the database at {where} aborted the transaction ({text}); "
                "retry it, the conflicting transaction has finished by now."
            )
        if self._unreachable(error, text):
            return BackendUnavailable(
                f"cannot reach the database at {where} ({text}); check that it is running "
                "and that the URL is right."
            )
        return None

    def _unreachable(self, error: exc.DBAPIError, text: str) -> bool:
        if error.connection_invalidated or isinstance(error, exc.InterfaceError):
            return True
        if not isinstance(error, exc.OperationalError):
            return False
        if self.dialect == "postgresql":
            return True
        # SQLite reports SQL mistakes as OperationalError too; only these mean "can't use it".
        return any(sign in text.lower() for sign in _SQLITE_UNAVAILABLE)

    def dispose(self) -> None:
        """Close every pooled connection; the Database is unusable afterwards."""
        if self._listener is not None:
            self._listener.stop()
        self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            self.read_engine.dispose()


def insert_ignoring_duplicates(conn: Connection, table: Table) -> Insert:
    """INSERT that silently skips rows colliding with a unique key, on either dialect."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()


def upsert(conn: Connection, table: Table, key: str, columns: list[str]) -> Insert:
    """INSERT that replaces `columns` when a row with the same `key` exists, on either dialect."""
    if conn.dialect.name == "postgresql":
        pg = postgresql.insert(table)
        return pg.on_conflict_do_update(
            index_elements=[key], set_={c: pg.excluded[c] for c in columns}
        )
    lite = sqlite.insert(table)
    return lite.on_conflict_do_update(
        index_elements=[key], set_={c: lite.excluded[c] for c in columns}
    )
