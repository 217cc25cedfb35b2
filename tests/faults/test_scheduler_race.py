"""Three scheduler processes race over 200 deployments on a minute cron: every slot becomes
exactly one run (Promise 4, the unique key per schedule and slot), on SQLite and PostgreSQL.
The suite races for the full 1,000 simulated minutes (201,000 slots: about 70 s per database on a
quiet 2-CPU machine); LEGATO_FAULTS_MINUTES=20 makes a short race for local iterations."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from legato.core.deployments import DeploymentSpec
from legato.core.schedules import CatchupPolicy, ScheduleSpec
from legato.scheduling.deployments import create_deployment
from legato.store import migrate
from legato.store.database import Database

T0 = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)
DEPLOYMENTS = 200
MINUTES = int(os.environ.get("LEGATO_FAULTS_MINUTES", "1000"))
SRC = Path(__file__).resolve().parents[2] / "src"

# Each racer ticks every simulated minute, starting at its own offset so that the three
# keep overlapping on the same slots from different positions in the sequence.
_RACER = """
import sys
from datetime import datetime, timedelta
from legato.scheduling import Scheduler
from legato.store.database import Database

db = Database(sys.argv[1])
start, offset, minutes = datetime.fromisoformat(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
scheduler = Scheduler(db, batch_size=50)
created = 0
for step in range(minutes):
    minute = (step + offset) % minutes + 1
    created += scheduler.tick(start + timedelta(minutes=minute)).created
print(created)
db.dispose()
"""


def test_three_schedulers_racing_over_200_minute_crons_make_one_run_per_slot(
    database_url: str,
) -> None:
    migrate.upgrade(database_url)
    db = Database(database_url)
    try:
        for i in range(DEPLOYMENTS):
            spec = DeploymentSpec(
                name=f"m{i}", flow_name="tick", entrypoint="tick.py:tick",
                catchup=CatchupPolicy.ALL, catchup_window_seconds=MINUTES * 60,
                catchup_max_runs=MINUTES, schedules=(ScheduleSpec.cron("* * * * *", "UTC"),),
            )
            create_deployment(db, spec, now=T0)
        racers = [
            subprocess.Popen([sys.executable, "-c", _RACER, database_url, T0.isoformat(),
                              str(offset), str(MINUTES)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env={"PYTHONPATH": str(SRC)})
            for offset in (0, MINUTES // 3, 2 * MINUTES // 3)
        ]
        outputs = [racer.communicate(timeout=600) for racer in racers]
        assert [racer.returncode for racer in racers] == [0, 0, 0], [err for _, err in outputs]
        created = [int(out.strip()) for out, _ in outputs]
        with db.reading() as conn:
            runs = conn.execute(text("SELECT count(*) FROM flow_runs")).scalar_one()
            slots = conn.execute(text(
                "SELECT count(*) FROM (SELECT DISTINCT deployment_id, scheduled_time "
                "FROM flow_runs) AS s")).scalar_one()
            first, last = conn.execute(text(
                "SELECT min(scheduled_time), max(scheduled_time) FROM flow_runs")).one()
        assert runs == slots == sum(created) == DEPLOYMENTS * (MINUTES + 1)
        assert _utc(first) == T0
        assert _utc(last) == T0 + timedelta(minutes=MINUTES)
    finally:
        db.dispose()


def _utc(value: object) -> datetime:
    """A timestamp column as an aware UTC datetime (SQLite returns text in raw SQL)."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
