"""Task-level concurrency limits across processes: two processes run flows whose task runs
carry the tag "db" against one database (a SQLite file, PostgreSQL) with a limit of 1, and
no two of those task runs ever execute at once. Each task body takes an exclusive marker
file while it runs, so any overlap leaves a trace whatever the timing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from legato._clock import SYSTEM_CLOCK
from legato.orchestration import limits
from legato.store.database import Database

SCRIPT = '''
import os
import sys
import threading
from pathlib import Path

from legato import flow, task
from legato.orchestration.local import LocalBackend
from legato.store.database import Database
from legato.testing import legato_test_harness

url, marks, name = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
pause = threading.Event()


@task(tags=["db", "io"])
def use_db(n: int) -> int:
    try:
        fd = os.open(marks / "holder", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        (marks / f"overlap-{name}-{n}").touch()
        return n
    try:
        pause.wait(0.05)  # hold the slot a while, so that the other process contends
    finally:
        os.close(fd)
        os.unlink(marks / "holder")
    (marks / f"done-{name}-{n}").touch()
    return n


@flow
def contend() -> list[int]:
    return [f.result() for f in [use_db.submit(n) for n in range(4)]]


(marks / f"ready-{name}").touch()
for _ in range(3000):  # start together
    if len(list(marks.glob("ready-*"))) >= 2:
        break
    pause.wait(0.01)
backend = LocalBackend(Database(url))
with legato_test_harness(backend):
    print(contend())
backend.close()
'''


def run_two_contending_processes(url: str, tmp_path: Path) -> None:
    db = Database(url)
    try:
        limits.set_concurrency_limit(db, "db", 1, now=SYSTEM_CLOCK.now())
    finally:
        db.dispose()
    script = tmp_path / "contend.py"
    script.write_text(SCRIPT)
    marks = tmp_path / "marks"
    marks.mkdir()
    processes = [
        subprocess.Popen([sys.executable, str(script), url, str(marks), name],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name in ("a", "b")
    ]
    try:
        outputs = [p.communicate(timeout=120) for p in processes]
    finally:
        for p in processes:
            if p.poll() is None:
                p.kill()
                p.wait()
    for p, (out, err) in zip(processes, outputs, strict=True):
        assert p.returncode == 0, err
        assert out.strip().splitlines()[-1] == "[0, 1, 2, 3]"
    assert sorted(m.name for m in marks.glob("overlap-*")) == []
    assert len(list(marks.glob("done-*"))) == 8


def test_two_processes_on_sqlite_never_run_two_db_tasks_at_once(
    sqlite_url: str, tmp_path: Path
) -> None:
    run_two_contending_processes(sqlite_url, tmp_path)


@pytest.mark.postgres
def test_two_processes_on_postgres_never_run_two_db_tasks_at_once(
    postgres_url: str, tmp_path: Path
) -> None:
    run_two_contending_processes(postgres_url, tmp_path)
