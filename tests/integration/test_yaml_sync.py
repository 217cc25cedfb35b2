"""YAML synchronization held in the store, on SQLite and PostgreSQL, in process and over the
REST API: a mutex admits one holder, a semaphore takes its limit from a concurrency limit,
an expired holder frees its slot, and two `legato run` processes contending for one mutex
never run their guarded steps at the same time."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from legato._clock import FakeClock
from legato.client.http import HttpBackend
from legato.core.sync import SyncLeases
from legato.orchestration.limits import set_concurrency_limit
from legato.orchestration.local import LocalBackend
from legato.store.database import Database

from .live_server import ServerThread


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def local(request: pytest.FixtureRequest) -> Iterator[LocalBackend]:
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    backend = LocalBackend(Database(url), clock=FakeClock())
    try:
        yield backend
    finally:
        backend.close()


@pytest.fixture(scope="module")
def api_server() -> Iterator[ServerThread]:
    server = ServerThread()
    server.start()
    yield server
    server.stop()


@pytest.fixture(params=["local", "http"])
def leases(request: pytest.FixtureRequest, local: LocalBackend) -> Iterator[SyncLeases]:
    if request.param == "local":
        yield local
        return
    server: ServerThread = request.getfixturevalue("api_server")
    server.app.state.backend = local
    remote = HttpBackend(server.url, timeout=30)
    try:
        yield remote
    finally:
        remote.close()
        server.app.state.backend = None


def test_a_mutex_admits_one_holder_until_it_releases(leases: SyncLeases) -> None:
    assert leases.acquire_sync("mutex", "db", "h1", "run-a").acquired
    refused = leases.acquire_sync("mutex", "db", "h2", "run-b")
    assert (refused.acquired, refused.limit, refused.holders) == (False, 1, 1)
    assert leases.acquire_sync("mutex", "other", "h2", "run-b").acquired
    assert leases.acquire_sync("mutex", "db", "h1", "run-a").acquired  # held: a renewal
    leases.release_sync("h1")
    assert leases.acquire_sync("mutex", "db", "h2", "run-b").acquired


def test_a_dead_holder_frees_the_mutex_when_its_lease_expires(
        leases: SyncLeases, local: LocalBackend) -> None:
    clock = local.clock
    assert isinstance(clock, FakeClock)
    assert leases.acquire_sync("mutex", "db", "h1", "run-a", lease_seconds=10).acquired
    clock.advance(8)
    assert leases.renew_sync(["h1", "never-held"], lease_seconds=10) == 1
    clock.advance(8)
    assert not leases.acquire_sync("mutex", "db", "h2", "run-b").acquired
    clock.advance(3)  # 11 s after the renewal: h1 stopped renewing, as a dead process does
    assert leases.renew_sync(["h1"], lease_seconds=10) == 0
    assert leases.acquire_sync("mutex", "db", "h2", "run-b").acquired


def test_a_semaphore_takes_its_limit_from_the_concurrency_limit_of_its_tag(
        leases: SyncLeases, local: LocalBackend) -> None:
    for holder in ("h1", "h2"):
        assert leases.acquire_sync("semaphore", "cfg.workers", holder, "run-a",
                                   default_limit=2).acquired
    assert not leases.acquire_sync("semaphore", "cfg.workers", "h3", "run-a",
                                   default_limit=2).acquired
    set_concurrency_limit(local.db, "cfg.workers", 3, now=local.clock.now())
    grant = leases.acquire_sync("semaphore", "cfg.workers", "h3", "run-a")
    assert (grant.acquired, grant.limit, grant.holders) == (True, 3, 3)
    assert not leases.acquire_sync("semaphore", "cfg.workers", "h4", "run-a").acquired
    # Without a stored limit the caller's default applies.
    assert leases.acquire_sync("semaphore", "cfg.other", "h5", "run-a",
                               default_limit=0).acquired is False


def test_a_run_ending_frees_the_locks_its_steps_hold(local: LocalBackend) -> None:
    from legato.core.ids import new_id
    from legato.core.records import NewFlowRun
    from legato.core.states import StateType

    run = local.create_flow_run(NewFlowRun(new_id(), "wf", "brave-otter", {},
                                           StateType.PENDING, local.clock.now()))
    assert local.acquire_sync("mutex", "db", "h1", run.id).acquired
    local.set_flow_run_state(run.id, StateType.RUNNING)
    local.set_flow_run_state(run.id, StateType.CRASHED, force=True)
    assert local.acquire_sync("mutex", "db", "h2", "other-run").acquired


CONTENDED = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: contended}
spec:
  entrypoint: main
  templates:
    - name: main
      steps:
        - - {name: guarded, template: guarded, withItems: [1, 2, 3]}
    - name: guarded
      synchronization: {mutex: {name: shared-db}}
      script:
        image: python:3.12
        command: [python]
        source: |
          import json, os, time
          start = time.time()
          time.sleep(0.15)
          line = json.dumps({"run": os.environ["TIMELINE_RUN"], "start": start, "end": time.time()})
          with open(os.environ["TIMELINE"], "a") as out:
              out.write(line + "\\n")
"""


# The same steps under a workflow-level mutex: a whole run waits for the other.
WHOLE_RUN = CONTENDED.replace(
    "spec:\n  entrypoint: main\n",
    "spec:\n  entrypoint: main\n  synchronization: {mutex: {name: whole-run}}\n"
    "  parallelism: 3\n").replace("      synchronization: {mutex: {name: shared-db}}\n", "")


@pytest.mark.parametrize("manifest", [CONTENDED, WHOLE_RUN], ids=["template", "workflow"])
def test_two_processes_contending_for_one_mutex_never_overlap(tmp_path: Path,
                                                                manifest: str) -> None:
    workflow = tmp_path / "contended.yaml"
    workflow.write_text(manifest, encoding="utf-8")
    # Outside every container path the runtime rewrites, and given through the environment.
    timeline = Path(os.environ.get("LEGATO_TEST_TIMELINE_DIR", "/dev/shm")) / (
        f"legato-timeline-{os.getpid()}-{tmp_path.name}.jsonl")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEGATO_")}
    env.update(LEGATO_HOME=str(tmp_path / "home"), LEGATO_LOG_LEVEL="WARNING",
               TIMELINE=str(timeline))
    subprocess.run([sys.executable, "-m", "legato", "db", "upgrade"], env=env, check=True,
                   capture_output=True, timeout=120)
    procs = [subprocess.Popen([sys.executable, "-m", "legato", "run", str(workflow)],
                              env={**env, "TIMELINE_RUN": name}, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)
             for name in ("a", "b")]
    try:
        outputs = [p.communicate(timeout=180)[0].decode() for p in procs]
        assert [p.returncode for p in procs] == [0, 0], outputs
        spans = sorted((s["start"], s["end"], s["run"]) for s in map(
            json.loads, timeline.read_text().splitlines()))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        timeline.unlink(missing_ok=True)
    assert len(spans) == 6 and {run for *_, run in spans} == {"a", "b"}
    if manifest is WHOLE_RUN:  # a run's own steps may overlap; the two runs may not
        first, second = sorted((min(s for s, _, r in spans if r == run),
                                max(e for _, e, r in spans if r == run)) for run in "ab")
        assert first[1] <= second[0], spans
        return
    for (_, end, _), (start, _, _) in itertools.pairwise(spans):
        assert end <= start, spans


SEMAPHORE = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: limited}
spec:
  entrypoint: main
  templates:
    - name: main
      steps:
        - - {name: work, template: work, withItems: [1, 2, 3, 4, 5]}
    - name: work
      synchronization:
        semaphore: {configMapKeyRef: {name: cfg, key: workers}}
      script:
        image: python:3.12
        command: [python]
        source: |
          import json, os, time
          start = time.time()
          time.sleep(0.1)
          with open(os.environ["TIMELINE"], "a") as out:
              out.write(json.dumps([start, time.time()]) + "\\n")
"""


def test_a_semaphore_admits_as_many_steps_as_its_concurrency_limit(
        local: LocalBackend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from legato._clock import SYSTEM_CLOCK
    from legato.sdk import runtime
    from legato.settings import Settings
    from legato.testing import legato_test_harness
    from legato.workflows.flow import load_yaml_flow

    backend = LocalBackend(local.db, clock=SYSTEM_CLOCK)  # leases expire in real time here
    set_concurrency_limit(backend.db, "cfg.workers", 2, now=backend.clock.now())
    timeline = Path("/dev/shm") / f"legato-semaphore-{os.getpid()}-{tmp_path.name}.jsonl"
    monkeypatch.setenv("TIMELINE", str(timeline))
    path = tmp_path / "limited.yaml"
    path.write_text(SEMAPHORE, encoding="utf-8")
    try:
        with legato_test_harness(backend):
            flow = load_yaml_flow(str(path), settings=Settings.from_env(
                {"LEGATO_HOME": str(tmp_path / "home")}))
            state = runtime.run_flow(flow, {})
        assert state.type.value == "COMPLETED", state.message
        assert state.flow_run_id is not None
        logs = [r.message for r in backend.read_logs(state.flow_run_id)]
        spans = [json.loads(line) for line in timeline.read_text().splitlines()]
    finally:
        timeline.unlink(missing_ok=True)
    assert len(spans) == 5
    events = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    running = peak = 0
    for _, change in events:
        running += change
        peak = max(peak, running)
    assert peak <= 2, spans
    # Five steps started together: some waited, for a semaphore whose limit was read as 2.
    assert any("waits for semaphore 'cfg.workers' (2 of 2 held)" in m for m in logs), logs
