"""Scheduler tick cost: 10,000 deployments with an hourly cron schedule, 100 of them due.
Run `python -m benchmarks.scheduler_tick [--deployments N] [--due N] [--repeat N]`; prints the
median tick time (wall clock, and this process's CPU time, which a busy machine disturbs less)
on SQLite and, when reachable, PostgreSQL (target: <= 100 ms)."""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from legato._clock import perf_seconds
from legato.core.deployments import DeploymentSpec
from legato.core.ids import new_id
from legato.core.schedules import ScheduleSpec
from legato.scheduling import Scheduler
from legato.store import deployments as store
from legato.store import flows, migrate, scratch
from legato.store.database import Database

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
DUE = "0 * * * *"
NOT_DUE = "30 * * * *"
TARGET_MS = 100.0


def populate(db: Database, deployments: int, due: int) -> None:
    """`due` deployments run at :00 (due at NOW), the others at :30; all planned."""
    planned = NOW - timedelta(minutes=15)
    with db.writing() as conn:
        flow_id = flows.ensure_flow(conn, "bench", planned)
        for i in range(deployments):
            cron = DUE if i < due else NOT_DUE
            spec = DeploymentSpec(name=f"d{i:05}", flow_name="bench", entrypoint="bench.py:f",
                                  parameters={"i": i},
                                  schedules=(ScheduleSpec.cron(cron, "Europe/Berlin"),))
            store.insert_deployment(conn, new_id(), spec, flow_id, planned)
    Scheduler(db, batch_size=2_000).tick(planned)  # plans every schedule once


def reset(db: Database) -> None:
    """Make the due schedules due at NOW again and drop the runs the last tick made."""
    with db.writing() as conn:
        conn.execute(text("DELETE FROM state_events WHERE run_id IN "
                          "(SELECT id FROM flow_runs)"))
        conn.execute(text("DELETE FROM flow_runs"))
        conn.execute(text("UPDATE schedules SET next_slot = :t, due_at = :t "
                          "WHERE expression = :cron"),
                     {"t": NOW if db.dialect == "postgresql" else
                      NOW.isoformat(" ", "microseconds"), "cron": DUE})


def measure(url: str, deployments: int, due: int, repeat: int) -> tuple[list[float], list[float]]:
    migrate.upgrade(url)
    db = Database(url)
    try:
        populate(db, deployments, due)
        times, cpu = [], []
        for _ in range(repeat):
            reset(db)
            started, cpu_started = perf_seconds(), time.process_time()
            result = Scheduler(db).tick(NOW)
            times.append((perf_seconds() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
            assert result.created == due, result
        return times, cpu
    finally:
        db.dispose()


def report(name: str, measured: tuple[list[float], list[float]]) -> None:
    times, cpu = measured
    median = statistics.median(times)
    verdict = "ok" if median <= TARGET_MS else "OVER TARGET"
    runs = ", ".join(f"{t:.1f}" for t in times)
    print(f"{name:<11} median {median:7.1f} ms (CPU {statistics.median(cpu):.1f} ms)  [{runs}]  "
          f"target <= {TARGET_MS:.0f} ms: {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scheduler_tick",
                                     description=__doc__)
    parser.add_argument("--deployments", type=int, default=10_000)
    parser.add_argument("--due", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"scheduler tick: {args.deployments} deployments, {args.due} due, "
          f"median of {args.repeat}")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        report("SQLite", measure(url, args.deployments, args.due, args.repeat))
    admin = scratch.admin_url_from_env()
    reason = scratch.unreachable_reason(admin)
    if reason is not None:
        print(f"PostgreSQL  skipped: {reason}")
        return
    pg_url = scratch.create_scratch_database(admin, prefix="legato_bench")
    try:
        report("PostgreSQL", measure(pg_url, args.deployments, args.due, args.repeat))
    finally:
        scratch.drop_scratch_database(pg_url, admin)


if __name__ == "__main__":
    main()
