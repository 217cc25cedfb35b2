"""The scheduler on SQLite and PostgreSQL: slots become runs exactly once even when three
schedulers (threads or processes) tick one database at the same moment, catch-up holds, and
migration 0002 upgrades a database created at 0001 without losing its runs."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import text

from legato.core.deployments import DeploymentSpec
from legato.core.schedules import CatchupPolicy, ScheduleSpec
from legato.orchestration import deployments as door
from legato.orchestration.local import LocalBackend
from legato.scheduling import Scheduler, TickResult
from legato.scheduling.deployments import create_deployment
from legato.store import migrate
from legato.store.database import Database
from tests.unit.store.databases import (  # noqa: F401  (fixtures)
    empty_postgres_url,
    empty_sqlite_url,
    postgres_admin_url,
)

T0 = datetime(2026, 1, 1, 10, 30, tzinfo=UTC)
DEPLOYMENTS = 30
SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest) -> str:
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    value: str = request.getfixturevalue(name)
    return value


@pytest.fixture
def db(url: str) -> Iterator[Database]:
    database = Database(url)
    yield database
    database.dispose()


def deploy_many(db: Database, count: int = DEPLOYMENTS) -> list[str]:
    ids = []
    for i in range(count):
        spec = DeploymentSpec(
            name=f"d{i}", flow_name="etl", entrypoint="etl.py:etl", parameters={"i": i},
            catchup=CatchupPolicy.ALL, catchup_window_seconds=86400, catchup_max_runs=10,
            schedules=(ScheduleSpec.cron("0 * * * *", "Europe/Berlin"),),
        )
        ids.append(create_deployment(db, spec, now=T0).id)
    return ids


def total_runs(db: Database) -> tuple[int, int]:
    with db.reading() as conn:
        runs = conn.execute(text("SELECT count(*) FROM flow_runs")).scalar_one()
        keys = conn.execute(
            text("SELECT count(DISTINCT idempotency_key) FROM flow_runs")
        ).scalar_one()
        return runs, keys


def test_tick_creates_runs_with_their_first_event(db: Database) -> None:
    ids = deploy_many(db, 3)
    result = Scheduler(db).tick(T0 + timedelta(hours=1))
    assert (result.created, result.schedules) == (3, 3)
    run = door.list_deployment_runs(db, ids[0])[0]
    assert run.parameters == {"i": 0}
    assert [e.to_state.value for e in LocalBackend(db).read_state_events(run.id)] == ["SCHEDULED"]


def test_three_day_outage_with_all_policy_on_both_databases(db: Database) -> None:
    ids = deploy_many(db, 2)
    scheduler = Scheduler(db)
    scheduler.tick(T0)
    assert scheduler.tick(T0 + timedelta(days=3)).created == 20
    assert len(door.list_deployment_runs(db, ids[0])) == 10


def test_three_threads_ticking_at_once_create_each_slot_once(url: str, db: Database) -> None:
    deploy_many(db)
    Scheduler(db).tick(T0)
    results: list[TickResult] = []
    errors: list[BaseException] = []
    for hours in (1, 2, 50):
        now = T0 + timedelta(hours=hours)
        barrier = threading.Barrier(3)

        def tick(moment: datetime = now, gate: threading.Barrier = barrier) -> None:
            own = Database(url)
            try:
                gate.wait()
                results.append(Scheduler(own, batch_size=7).tick(moment))
            except BaseException as error:
                errors.append(error)
            finally:
                own.dispose()

        threads = [threading.Thread(target=tick) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    runs, keys = total_runs(db)
    assert runs == keys == DEPLOYMENTS * (1 + 1 + 10)
    assert sum(r.created for r in results) == runs


_TICKER = """
import sys
from datetime import datetime
from legato.scheduling import Scheduler
from legato.store.database import Database
db = Database(sys.argv[1])
print(Scheduler(db, batch_size=5).tick(datetime.fromisoformat(sys.argv[2])).created)
db.dispose()
"""


def test_three_processes_ticking_at_once_create_each_slot_once(url: str, db: Database) -> None:
    deploy_many(db)
    Scheduler(db).tick(T0)
    now = T0 + timedelta(days=3)
    processes = [
        subprocess.Popen([sys.executable, "-c", _TICKER, url, now.isoformat()],
                         stdout=subprocess.PIPE, text=True, env={"PYTHONPATH": str(SRC)})
        for _ in range(3)
    ]
    created = [int(p.communicate(timeout=120)[0].strip()) for p in processes]
    assert [p.returncode for p in processes] == [0, 0, 0]
    runs, keys = total_runs(db)
    assert runs == keys == sum(created) == DEPLOYMENTS * 10


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest) -> str:
    name = "empty_sqlite_url" if request.param == "sqlite" else "empty_postgres_url"
    value: str = request.getfixturevalue(name)
    return value


def test_migration_0002_upgrades_a_0001_database_and_keeps_its_runs(empty_url: str) -> None:
    db = Database(empty_url)
    try:
        config = Config()
        config.set_main_option("script_location", str(migrate.MIGRATIONS_DIR))
        with db.writing() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "0001")
        assert migrate.current_revision(db) == "0001"
        with db.writing() as conn:
            conn.execute(text("INSERT INTO flows (id, name, created) VALUES ('f1', 'old', :t)"),
                         {"t": T0})
            conn.execute(
                text("INSERT INTO flow_runs (id, flow_id, name, parameters, state, created, "
                     "updated, run_count, tags) VALUES ('r1', 'f1', 'old-run', '{}', "
                     "'COMPLETED', :t, :t, 1, '[]')"),
                {"t": T0},
            )
        assert migrate.needs_upgrade(db)
        migrate.upgrade(db)
        assert migrate.current_revision(db) == migrate.HEAD_REVISION
        old = LocalBackend(db).read_flow_run("r1")
        assert (old.name, old.state.value) == ("old-run", "COMPLETED")
        with db.reading() as conn:
            flags = conn.execute(
                text("SELECT is_backfill, late, idempotency_key FROM flow_runs")
            ).one()
        assert (bool(flags[0]), bool(flags[1]), flags[2]) == (False, False, None)
        deploy_many(db, 1)
        assert Scheduler(db).tick(T0 + timedelta(hours=1)).created == 1
    finally:
        db.dispose()
