"""Bulk-loads a database the size the web UI must stay fast on: 100,000 flow runs and
5,000,000 task runs (COPY on PostgreSQL, executemany on SQLite), cached between runs.

    python -m benchmarks.bigdata sqlite [--path FILE]        # prints the database URL
    python -m benchmarks.bigdata postgresql [--admin URL]

The data: 20 flows, 40 deployments, runs created over the year before NOW in every state
(mostly COMPLETED), tagged from a pool of 12 tags. Two runs are special, for the views:
`BIG_RUN_ID` has 5,000 task runs in a layered graph with edges, and the newest 100 runs of
deployment `GRID_DEPLOYMENT_ID` have 500 task runs each. The other runs share the remaining
task runs (about 50 each). A generated database is reused while its schema revision and the
sizes match (the first flow's name carries the recipe); `--fresh` rebuilds it."""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sqlite3
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.pool import NullPool

from legato.store import migrate, scratch
from legato.store.database import Database

NOW = datetime(2026, 11, 1, tzinfo=UTC)
FLOW_RUNS = 100_000
TASK_RUNS = 5_000_000
BIG_RUN_TASKS = 5_000
GRID_RUNS = 100
GRID_TASKS = 500
FLOWS = 20
DEPLOYMENTS = 40
TAGS = tuple(f"team-{c}" for c in "abcdefghijkl")
# One state per slot of 100: the share of each state among the runs.
STATES = (["COMPLETED"] * 85 + ["FAILED"] * 8 + ["CRASHED"] * 2 + ["CANCELLED"] * 2
          + ["RUNNING"] * 1 + ["SCHEDULED"] * 2)
WORDS = ("brave", "quiet", "rapid", "calm", "bold", "eager", "gentle", "lucky")
ANIMALS = ("otter", "heron", "lynx", "panda", "falcon", "badger", "koala", "moose")
BIG_RUN_ID = "b1000000-0000-7000-8000-000000000001"
GRID_DEPLOYMENT_ID = "d0000000-0000-7000-8000-000000000000"
DEFAULT_SQLITE = Path.home() / ".cache" / "legato-bench" / "ui.db"
SPAN_SECONDS = 365 * 24 * 3600


def recipe() -> str:
    """A digest of everything that shapes the data; a cached database must match it (newer
    migrations are applied to a cached database in place)."""
    parts = (FLOW_RUNS, TASK_RUNS, BIG_RUN_TASKS, GRID_RUNS, GRID_TASKS, FLOWS, DEPLOYMENTS,
             NOW.isoformat(), 2)
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:12]


def _id(kind: int, number: int) -> str:
    return f"{kind:08x}-0000-7000-8000-{number:012x}"


def flow_run_id(number: int) -> str:
    """The id of flow run `number` (0 is the newest)."""
    return BIG_RUN_ID if number == 0 else _id(0xF0000000, number)


def deployment_id(number: int) -> str:
    return GRID_DEPLOYMENT_ID if number == 0 else _id(0xD0000000, number)


def _created(number: int) -> datetime:
    # Run 0 is the newest; runs spread evenly over the year before NOW.
    return NOW - timedelta(seconds=number * SPAN_SECONDS // FLOW_RUNS + 60)


def _deployment_of(number: int) -> int | None:
    """The deployment that made run `number` (None for 1 run in 5, run by hand); the newest
    GRID_RUNS runs after the big one belong to the grid deployment."""
    if 1 <= number <= GRID_RUNS:
        return 0
    if number % 5 == 0:
        return None
    return 1 + number % (DEPLOYMENTS - 1)


def _task_count(number: int) -> int:
    if number == 0:
        return BIG_RUN_TASKS
    if 1 <= number <= GRID_RUNS:
        return GRID_TASKS
    rest = TASK_RUNS - BIG_RUN_TASKS - GRID_RUNS * GRID_TASKS
    others = FLOW_RUNS - 1 - GRID_RUNS
    base, extra = divmod(rest, others)
    return base + (1 if number - GRID_RUNS - 1 < extra else 0)


def _ts(moment: datetime | None, sqlite: bool) -> str | None:
    if moment is None:
        return None
    return moment.isoformat(" ", "microseconds") if sqlite else moment.isoformat()


def flow_rows(sqlite: bool) -> Iterator[tuple[object, ...]]:
    """flows: (id, name, created)."""
    for number in range(FLOWS):
        name = f"flow-{number:02}" if number else f"flow-00-{recipe()}"
        yield (_id(0xA0000000, number), name, _ts(NOW - timedelta(days=400), sqlite))


def deployment_rows(sqlite: bool) -> Iterator[tuple[object, ...]]:
    """deployments, each of the flow number % FLOWS."""
    created = _ts(NOW - timedelta(days=400), sqlite)
    for number in range(DEPLOYMENTS):
        yield (deployment_id(number), f"deployment-{number:02}",
               _id(0xA0000000, number % FLOWS), None, "bench.py:flow", "{}", "[]", "default",
               False, "latest", 3600, 1, None, None, None, None, created, created, 0)


DEPLOYMENT_COLUMNS = (
    "id", "name", "flow_id", "flow_version_id", "entrypoint", "parameters", "tags",
    "work_queue", "paused", "catchup", "catchup_window_seconds", "catchup_max_runs",
    "max_active_runs", "run_timeout_seconds", "version", "description", "created", "updated",
    "crash_retries",
)
FLOW_RUN_COLUMNS = (
    "id", "flow_id", "name", "parameters", "state", "state_message", "created", "updated",
    "start_time", "end_time", "run_count", "tags", "deployment_id", "scheduled_time",
    "is_backfill", "late", "lease_epoch", "crash_count",
)
TASK_RUN_COLUMNS = (
    "id", "flow_run_id", "task_key", "task_name", "map_index", "state", "attempts", "created",
    "updated", "start_time", "end_time",
)


def flow_run_rows(sqlite: bool) -> Iterator[tuple[object, ...]]:
    for number in range(FLOW_RUNS):
        created = _created(number)
        state = "COMPLETED" if number <= GRID_RUNS else STATES[number * 37 % 100]
        started = created + timedelta(seconds=5) if state != "SCHEDULED" else None
        ended = (started + timedelta(seconds=60 + number % 600)
                 if started is not None and state not in ("RUNNING",) else None)
        deployment = _deployment_of(number)
        flow = deployment % FLOWS if deployment is not None else number % FLOWS
        tags = [TAGS[number % len(TAGS)]] + ([TAGS[number * 7 % len(TAGS)]] if number % 3 else [])
        name = f"{WORDS[number % 8]}-{ANIMALS[number // 8 % 8]}-{number}"
        yield (
            flow_run_id(number), _id(0xA0000000, flow), name, json.dumps({"n": number % 10}),
            state, None, _ts(created, sqlite), _ts(ended or started or created, sqlite),
            _ts(started, sqlite), _ts(ended, sqlite), 1 if started else 0, json.dumps(tags),
            deployment_id(deployment) if deployment is not None else None,
            _ts(created, sqlite) if deployment is not None else None, False, False, 0, 0,
        )


def task_run_rows(sqlite: bool) -> Iterator[tuple[object, ...]]:
    """Task runs 10 ms apart, each taking 10-900 ms. Timestamps are built from per-second
    prefixes (the text both dialects read), which keeps 5 million rows to about a minute."""
    task_number = 0
    keys = [
        (f"step{(i // 10) % 25}-{i // 10}[{i % 10}]" if i % 4 == 0 else f"step{(i // 10) % 25}-{i}",
         f"step{(i // 10) % 25}", i % 10 if i % 4 == 0 else None)
        for i in range(max(BIG_RUN_TASKS, GRID_TASKS, 2 * TASK_RUNS // FLOW_RUNS))
    ]
    for number in range(FLOW_RUNS):
        run_id = flow_run_id(number)
        start = _created(number) + timedelta(seconds=6)
        run_state = "COMPLETED" if number <= GRID_RUNS else STATES[number * 37 % 100]
        count = _task_count(number)
        last_second = (count + 100) // 100 + 1
        seconds = [(start + timedelta(seconds=k)).strftime("%Y-%m-%d %H:%M:%S")
                   for k in range(last_second + 1)]
        for index in range(count):
            task_number += 1
            key, name, mapped = keys[index]
            took = 1 + (index * 7 + number) % 90
            end = index + took
            began = f"{seconds[index // 100]}.{index % 100:02}0000+00:00"
            ended = f"{seconds[end // 100]}.{end % 100:02}0000+00:00"
            state = "FAILED" if run_state == "FAILED" and index == count - 1 else "COMPLETED"
            yield (_id(0xC0000000, task_number), run_id, key, name, mapped, state, 1, began,
                   ended, began, ended)


def big_run_edges() -> Iterator[tuple[str, str, str]]:
    """Layers of 100 tasks; each task depends on two of the layer before."""
    first = 1  # task numbers of the big run start at 1
    width = 100
    for index in range(width, BIG_RUN_TASKS):
        up = index - width
        for upstream in {up, up - up % width + (up + 37) % width}:
            yield (BIG_RUN_ID, _id(0xC0000000, first + upstream), _id(0xC0000000, first + index))


# -- loading -----------------------------------------------------------------------------

def _copy(cursor: object, table: str, columns: tuple[str, ...],
          rows: Iterator[tuple[object, ...]]) -> None:
    sql = f'COPY "{table}" ({", ".join(columns)}) FROM STDIN'
    with cursor.copy(sql) as copy:  # type: ignore[attr-defined]
        buffer = io.StringIO()
        for count, row in enumerate(rows, 1):
            buffer.write("\t".join("\\N" if v is None else str(v) for v in row))
            buffer.write("\n")
            if count % 50_000 == 0:
                copy.write(buffer.getvalue())
                buffer = io.StringIO()
        copy.write(buffer.getvalue())


def load_postgresql(url: str) -> None:
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as conn, conn.cursor() as cursor:
        # Indexes are rebuilt once after the load instead of maintained row by row.
        cursor.execute("ALTER TABLE task_runs DROP CONSTRAINT uq_task_runs_flow_run_id_task_key")
        cursor.execute("ALTER TABLE task_runs DROP CONSTRAINT fk_task_runs_flow_run_id_flow_runs")
        _copy(cursor, "flows", ("id", "name", "created"), flow_rows(False))
        _copy(cursor, "deployments", DEPLOYMENT_COLUMNS, deployment_rows(False))
        _copy(cursor, "flow_runs", FLOW_RUN_COLUMNS, flow_run_rows(False))
        _copy(cursor, "task_runs", TASK_RUN_COLUMNS, task_run_rows(False))
        _copy(cursor, "task_edges", ("flow_run_id", "upstream_id", "downstream_id"),
              big_run_edges())
        log("  rebuilding task_runs constraints")
        cursor.execute("ALTER TABLE task_runs ADD CONSTRAINT uq_task_runs_flow_run_id_task_key "
                       "UNIQUE (flow_run_id, task_key)")
        cursor.execute("ALTER TABLE task_runs ADD CONSTRAINT fk_task_runs_flow_run_id_flow_runs "
                       "FOREIGN KEY (flow_run_id) REFERENCES flow_runs (id)")
        conn.commit()
        conn.autocommit = True
        cursor.execute("VACUUM ANALYZE")


def _insert(conn: sqlite3.Connection, table: str, columns: tuple[str, ...],
            rows: Iterator[tuple[object, ...]]) -> None:
    marks = ", ".join("?" * len(columns))
    conn.executemany(f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({marks})', rows)


def load_sqlite(path: Path) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-400000")
        with conn:
            _insert(conn, "flows", ("id", "name", "created"), flow_rows(True))
            _insert(conn, "deployments", DEPLOYMENT_COLUMNS, deployment_rows(True))
            _insert(conn, "flow_runs", FLOW_RUN_COLUMNS, flow_run_rows(True))
            _insert(conn, "task_runs", TASK_RUN_COLUMNS, task_run_rows(True))
            _insert(conn, "task_edges", ("flow_run_id", "upstream_id", "downstream_id"),
                    big_run_edges())
        conn.execute("ANALYZE")
    finally:
        conn.close()


def is_current(url: str) -> bool:
    """Whether the database at `url` holds this recipe's data at the head revision."""
    db = Database(url)
    try:
        with db.reading() as conn:
            name = conn.execute(text("SELECT name FROM flows WHERE name LIKE 'flow-00-%'")).scalar()
            return bool(name == f"flow-00-{recipe()}")
    except Exception:
        return False
    finally:
        db.dispose()


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def sqlite_database(path: Path = DEFAULT_SQLITE, *, fresh: bool = False) -> str:
    """The URL of a loaded SQLite database at `path`, generated unless current."""
    url = f"sqlite:///{path}"
    if not fresh and path.exists() and is_current(url):
        log(f"reusing {path}")
        migrate.upgrade(url)
        return url
    path.parent.mkdir(parents=True, exist_ok=True)
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
    migrate.upgrade(url)
    log(f"loading {FLOW_RUNS:,} flow runs and {TASK_RUNS:,} task runs into {path}")
    load_sqlite(path)
    return url


def _admin(admin_url: str) -> Engine:
    return create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)


def postgresql_database(admin_url: str, *, fresh: bool = False) -> str:
    """The URL of a loaded PostgreSQL database named after the recipe, generated unless
    current. Drop it when done with `python -m benchmarks.bigdata postgresql --drop`."""
    name = f"legato_bench_ui_{recipe()}"
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    engine = _admin(admin_url)
    try:
        with engine.connect() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).first() is not None
        if exists and not fresh and is_current(url):
            log(f"reusing database {name}")
            migrate.upgrade(url)
            return url
        if exists:
            scratch.drop_scratch_database(url, admin_url)
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    migrate.upgrade(url)
    log(f"loading {FLOW_RUNS:,} flow runs and {TASK_RUNS:,} task runs into {name}")
    load_postgresql(url)
    return url


def drop_postgresql_database(admin_url: str) -> None:
    """Drop this recipe's PostgreSQL database."""
    name = f"legato_bench_ui_{recipe()}"
    scratch.drop_scratch_database(
        make_url(admin_url).set(database=name).render_as_string(hide_password=False), admin_url
    )


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bigdata", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dialect", choices=("sqlite", "postgresql"))
    parser.add_argument("--path", type=Path, default=DEFAULT_SQLITE, help="SQLite file")
    parser.add_argument("--admin", default=None, help="PostgreSQL URL to create databases from")
    parser.add_argument("--fresh", action="store_true", help="rebuild even if cached")
    parser.add_argument("--drop", action="store_true", help="delete the cached database")
    args = parser.parse_args()
    admin = args.admin or scratch.admin_url_from_env()
    if args.drop:
        if args.dialect == "sqlite":
            args.path.unlink(missing_ok=True)
        else:
            drop_postgresql_database(admin)
        return 0
    if args.dialect == "sqlite":
        print(sqlite_database(args.path, fresh=args.fresh))
    else:
        print(postgresql_database(admin, fresh=args.fresh))
    return 0


if __name__ == "__main__":
    sys.exit(main())
