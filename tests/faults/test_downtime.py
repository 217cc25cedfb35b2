"""Three days of downtime: the scheduler process is killed, and three days of hourly slots
later three scheduler processes come back at once. Catch-up creates exactly what each
deployment's policy says (`latest`: the newest slot; `all`: the missed slots inside the
window, the newest `max_runs` of them) and no more, on SQLite and PostgreSQL (Promise 4)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from legato.core.deployments import DeploymentSpec
from legato.core.schedules import CatchupPolicy, ScheduleSpec
from legato.orchestration import deployments as door
from legato.scheduling.deployments import create_deployment
from legato.store import migrate
from legato.store.database import Database

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
HOUR = timedelta(hours=1)
BACK = T0 + timedelta(days=3)
SRC = Path(__file__).resolve().parents[2] / "src"

# Ticks at each moment given, prints the runs it created, then waits to be killed.
_SCHEDULER = """
import sys, time
from datetime import datetime
from legato.scheduling import Scheduler
from legato.store.database import Database

db = Database(sys.argv[1])
scheduler = Scheduler(db, batch_size=2)
for moment in sys.argv[2:]:
    print(scheduler.tick(datetime.fromisoformat(moment)).created, flush=True)
print("done", flush=True)
time.sleep(600)
"""


def _scheduler(url: str, *moments: datetime) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", _SCHEDULER, url,
                             *(m.isoformat() for m in moments)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={"PYTHONPATH": str(SRC)}, start_new_session=True)


def _created_then_kill(process: subprocess.Popen[str]) -> list[int]:
    assert process.stdout is not None
    created = []
    while (line := process.stdout.readline().strip()) != "done":
        assert line, f"the scheduler process died: {process.communicate(timeout=10)[1]}"
        created.append(int(line))
    os.killpg(process.pid, signal.SIGKILL)
    process.communicate(timeout=10)
    return created


def test_three_days_of_downtime_catch_up_follows_each_policy_and_no_more(
    database_url: str,
) -> None:
    migrate.upgrade(database_url)
    db = Database(database_url)
    try:
        hourly = (ScheduleSpec.cron("0 * * * *", "UTC"),)
        policies = {
            "latest": dict(catchup=CatchupPolicy.LATEST),
            "all-window": dict(catchup=CatchupPolicy.ALL, catchup_window_seconds=6 * 3600,
                               catchup_max_runs=100),
            "all-count": dict(catchup=CatchupPolicy.ALL, catchup_window_seconds=7 * 86_400,
                              catchup_max_runs=10),
            "all-every": dict(catchup=CatchupPolicy.ALL, catchup_window_seconds=7 * 86_400,
                              catchup_max_runs=1_000),
        }
        ids = {name: create_deployment(db, DeploymentSpec(
            name=name, flow_name="etl", entrypoint="etl.py:etl", schedules=hourly,
            **fields), now=T0).id for name, fields in policies.items()}  # type: ignore[arg-type]
        # Up and ticking until 11:30 on the first day, then killed.
        before = _created_then_kill(_scheduler(database_url, T0, T0 + HOUR, T0 + 2 * HOUR))
        assert before == [0, 4, 4]
        # Three days later three schedulers start at once and race over the backlog.
        racers = [_scheduler(database_url, BACK, BACK + timedelta(minutes=1)) for _ in range(3)]
        after = [_created_then_kill(racer) for racer in racers]
        last_up = datetime(2026, 3, 2, 11, tzinfo=UTC)  # the last slot made before the outage
        newest = datetime(2026, 3, 5, 9, tzinfo=UTC)  # the newest slot at BACK
        missed = [last_up + k * HOUR for k in range(1, 71)]
        assert missed[-1] == newest
        expected = {
            "latest": [newest],
            "all-window": [s for s in missed if s >= BACK - 6 * HOUR],
            "all-count": missed[-10:],
            "all-every": missed,
        }
        made = 0
        for name, deployment_id in ids.items():
            runs = door.list_deployment_runs(db, deployment_id, limit=1000)
            slots = sorted(r.scheduled_time for r in runs if r.scheduled_time is not None)
            assert slots == [T0 + HOUR - timedelta(minutes=30), last_up, *expected[name]], name
            assert len({r.idempotency_key for r in runs}) == len(runs)
            made += len(expected[name])
        assert sum(sum(c) for c in after) == made == 1 + 6 + 10 + 70
        # A minute later nothing more is due.
        assert [c[1] for c in after] == [0, 0, 0]
    finally:
        db.dispose()
