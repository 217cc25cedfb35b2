"""Dispatch benchmarks with real processes (a server and `legato worker`s over its API):
latency from the request that makes a run (POST /deployments/{id}/runs) to the first line of
the flow function, and throughput of trivial runs with two workers.

    python -m benchmarks.dispatch latency --db sqlite --launcher warm --runs 50
    python -m benchmarks.dispatch throughput --runs 300 --workers 2 --limit 8
"""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from legato.client.deploy import DeployOptions, ScheduleOptions
from legato.client.deployments import DeploymentsClient
from legato.client.http import HttpBackend
from legato.core.states import StateType
from legato.store import scratch
from legato.store.database import Database
from legato.store.tables import flow_runs

from benchmarks import scheduler_tick
from benchmarks.cluster import Cluster

WARMUP_RUNS = 3
# Targets from the design (p50/p99 in ms, throughput in runs/s).
LATENCY_TARGETS = {"warm": (25.0, 100.0), "subprocess": (300.0, None)}
THROUGHPUT_TARGET = 100.0
TICK_TARGET_MS = 100.0


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


@contextmanager
def database(kind: str) -> Iterator[str | None]:
    """None for SQLite (the server's default file in its home), else a scratch PostgreSQL
    database that is dropped afterwards."""
    if kind == "sqlite":
        yield None
        return
    admin = scratch.admin_url_from_env()
    reason = scratch.unreachable_reason(admin)
    if reason is not None:
        raise RuntimeError(f"PostgreSQL is unreachable: {reason}")
    url = scratch.create_scratch_database(admin, prefix="legato_bench")
    try:
        yield url
    finally:
        scratch.drop_scratch_database(url, admin)


def percentile(samples: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) of the samples."""
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def _wait_file(path: Path, seconds: float) -> float:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            text = path.read_text()
        except FileNotFoundError:
            text = ""
        if text:
            return float(text)
        time.sleep(0.001)
    raise RuntimeError(f"the flow did not start within {seconds:.0f} s ({path} not written)")


def _wait_final(api: HttpBackend, run_id: str, seconds: float) -> StateType:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        state = api.read_flow_run(run_id).state
        if state in (StateType.COMPLETED, StateType.FAILED, StateType.CRASHED):
            return state
        time.sleep(0.005)
    raise RuntimeError(f"flow run {run_id} did not finish within {seconds:.0f} s")


def latency(db: str, launcher: str, runs: int) -> dict[str, Any]:
    """Trigger `runs` runs one after another on an idle worker; milliseconds from just
    before the POST to the flow's first line, after WARMUP_RUNS that are not counted."""
    with tempfile.TemporaryDirectory(prefix="legato-dispatch-") as tmp, database(db) as url, \
            Cluster(Path(tmp), url) as cluster:
        cluster.start_server()
        cluster.start_worker("bench-worker", launcher, limit=4)
        deployment_id = cluster.deploy(DeployOptions("latency"))
        samples: list[float] = []
        api = HttpBackend(cluster.url)
        cpu_start = 0.0
        with DeploymentsClient(cluster.url) as client:
            for i in range(WARMUP_RUNS + runs):
                if i == WARMUP_RUNS:
                    cpu_start = cluster.cpu_seconds()
                out = Path(tmp) / f"started-{i}"
                time.sleep(0.05)  # let the worker settle back into its long poll
                sent = time.time()
                run = client.run(deployment_id, {"out": str(out)})
                started = _wait_file(out, 60)
                state = _wait_final(api, run.id, 60)
                if state is not StateType.COMPLETED:
                    raise RuntimeError(f"flow run {run.id} ended {state.value}")
                if i >= WARMUP_RUNS:
                    samples.append((started - sent) * 1000)
        cpu_ms = (cluster.cpu_seconds() - cpu_start) / runs * 1000
        api.close()
    p50, p99 = statistics.median(samples), percentile(samples, 99)
    t50, t99 = LATENCY_TARGETS[launcher]
    ok = p50 <= t50 and (t99 is None or p99 <= t99)
    log(f"  latency {db} {launcher}: p50 {p50:.1f} ms, p99 {p99:.1f} ms "
        f"(n={len(samples)}), CPU {cpu_ms:.1f} ms/run {'PASS' if ok else 'FAIL'}")
    return {"db": db, "launcher": launcher, "runs": len(samples), "p50_ms": p50,
            "cpu_ms_per_run": cpu_ms,
            "p99_ms": p99, "min_ms": min(samples), "max_ms": max(samples),
            "target_p50_ms": t50, "target_p99_ms": t99, "status": "PASS" if ok else "FAIL",
            "samples_ms": [round(s, 2) for s in samples]}


def throughput(runs: int, workers: int, limit: int, launcher: str) -> dict[str, Any]:
    """Make `runs` runs in one backfill request while `workers` workers wait; runs per
    second from just before that request to the end of the last run."""
    with tempfile.TemporaryDirectory(prefix="legato-dispatch-") as tmp, \
            database("postgresql") as url, Cluster(Path(tmp), url) as cluster:
        assert url is not None
        cluster.start_server()
        # An interval schedule gives the backfill one slot a second; the deployment is paused
        # so the scheduler makes no runs of its own.
        deployment_id = cluster.deploy(DeployOptions(
            "throughput", ScheduleOptions(interval=1), paused=True))
        for n in range(workers):
            cluster.start_worker(f"bench-worker-{n}", launcher, limit=limit)
        db = Database(url)
        try:
            with DeploymentsClient(cluster.url) as client:
                # Warm each worker's launcher with a few runs before measuring.
                for _ in range(2 * workers):
                    client.run(deployment_id)
                _wait_count(db, 2 * workers, 60)
                end = datetime.now(UTC) - timedelta(days=1)
                start = end - timedelta(seconds=runs)
                cpu_start = cluster.cpu_seconds()
                sent = time.time()
                made = client.backfill(deployment_id, start, end, max_runs=runs)
            if made != runs:
                raise RuntimeError(f"the backfill made {made} runs, not {runs}")
            last_end = _wait_count(db, 2 * workers + runs, 120)
            cpu_ms = (cluster.cpu_seconds() - cpu_start) / runs * 1000
            failed = _count(db, exclude=StateType.COMPLETED)
        finally:
            db.dispose()
    seconds = last_end - sent
    rate = runs / seconds
    ok = rate >= THROUGHPUT_TARGET and failed == 0
    log(f"  throughput: {runs} runs in {seconds:.2f} s = {rate:.0f} runs/s "
        f"({workers} workers x {limit} slots, {launcher}), CPU {cpu_ms:.1f} ms/run "
        f"{'PASS' if ok else 'FAIL'}")
    return {"runs": runs, "workers": workers, "limit": limit, "launcher": launcher,
            "cpu_ms_per_run": cpu_ms,
            "seconds": seconds, "runs_per_second": rate, "not_completed": failed,
            "target_runs_per_second": THROUGHPUT_TARGET, "status": "PASS" if ok else "FAIL"}


def _count(db: Database, *, exclude: StateType | None = None,
           state: StateType | None = None) -> int:
    query = select(func.count()).select_from(flow_runs)
    if state is not None:
        query = query.where(flow_runs.c.state == state.value)
    if exclude is not None:
        query = query.where(flow_runs.c.state != exclude.value)
    with db.reading() as conn:
        return int(conn.execute(query).scalar_one())


def _wait_count(db: Database, completed: int, seconds: float) -> float:
    """Wait until `completed` runs are COMPLETED; return the latest end time (epoch s)."""
    deadline = time.monotonic() + seconds
    while _count(db, state=StateType.COMPLETED) < completed:
        if time.monotonic() > deadline:
            raise RuntimeError(f"fewer than {completed} runs completed within {seconds:.0f} s")
        time.sleep(0.02)
    with db.reading() as conn:
        last: datetime = conn.execute(select(func.max(flow_runs.c.end_time))).scalar_one()
    return last.timestamp()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.dispatch", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    lat = sub.add_parser("latency")
    lat.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    lat.add_argument("--launcher", choices=["warm", "subprocess"], default="warm")
    lat.add_argument("--runs", type=int, default=50)
    thr = sub.add_parser("throughput")
    thr.add_argument("--runs", type=int, default=300)
    thr.add_argument("--workers", type=int, default=2)
    thr.add_argument("--limit", type=int, default=8)
    thr.add_argument("--launcher", choices=["warm", "subprocess"], default="warm")
    args = parser.parse_args(argv)
    if args.what == "latency":
        result = latency(args.db, args.launcher, args.runs)
    else:
        result = throughput(args.runs, args.workers, args.limit, args.launcher)
    print(json.dumps(result, indent=2))
    return 0 if result["status"] == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())


def _guarded(what: str, measure: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    try:
        return measure()
    except Exception as error:  # a failed measurement is reported, the others still run
        log(f"  {what}: ERROR {error}")
        return {"error": f"{type(error).__name__}: {error}", "status": "FAIL"}


def tick() -> dict[str, Any]:
    """The scheduler tick benchmark (benchmarks.scheduler_tick) on SQLite and PostgreSQL."""
    result: dict[str, Any] = {"deployments": 10_000, "due": 100, "target_ms": TICK_TARGET_MS}
    with tempfile.TemporaryDirectory() as tmp:
        times, cpu = scheduler_tick.measure(f"sqlite:///{Path(tmp) / 'bench.db'}", 10_000, 100, 3)
    result["sqlite_ms"] = statistics.median(times)
    result["sqlite_cpu_ms"] = statistics.median(cpu)
    with database("postgresql") as url:
        assert url is not None
        times, cpu = scheduler_tick.measure(url, 10_000, 100, 3)
    result["postgresql_ms"] = statistics.median(times)
    result["postgresql_cpu_ms"] = statistics.median(cpu)
    worst = max(result["sqlite_ms"], result["postgresql_ms"])
    result["status"] = "PASS" if worst <= TICK_TARGET_MS else "FAIL"
    log(f"  scheduler tick: SQLite {result['sqlite_ms']:.1f} ms, PostgreSQL "
        f"{result['postgresql_ms']:.1f} ms {result['status']}")
    return result


def suite(only: set[str], quick: bool) -> dict[str, Any]:
    """The selected dispatch benchmarks (DISPATCH, THROUGHPUT, TICK; all when `only` is
    empty), fewer samples with `quick`."""
    report: dict[str, Any] = {}
    if not only or "DISPATCH" in only:
        log("dispatch latency")
        report["latency"] = [
            _guarded(f"latency {db} {launcher}",
                     functools.partial(latency, db, launcher, max(10, runs // 3) if quick else runs))
            for db in ("sqlite", "postgresql")
            for launcher, runs in (("warm", 50), ("subprocess", 20))
        ]
    if not only or "THROUGHPUT" in only:
        log("throughput")
        report["throughput"] = _guarded(
            "throughput", lambda: throughput(100 if quick else 300, 2, 8, "warm"))
    if not only or "TICK" in only:
        log("scheduler tick")
        report["tick"] = _guarded("scheduler tick", tick)
    return report


def targets(report: dict[str, Any]) -> list[dict[str, Any]]:
    """PASS/FAIL rows for the runner's target table."""
    rows = []
    for entry in report.get("latency", []):
        name = f"dispatch p50, {entry.get('db', '?')}, {entry.get('launcher', '?')}"
        rows.append(_target(name, entry.get("p50_ms"), entry.get("target_p50_ms"), "ms"))
        if entry.get("target_p99_ms") is not None:
            name = f"dispatch p99, {entry['db']}, {entry['launcher']}"
            rows.append(_target(name, entry.get("p99_ms"), entry["target_p99_ms"], "ms"))
    if "throughput" in report:
        entry = report["throughput"]
        value = entry.get("runs_per_second")
        status = "FAIL" if value is None or value < THROUGHPUT_TARGET or entry.get(
            "not_completed") else "PASS"
        rows.append({"target": "throughput, PostgreSQL, 2 workers", "value": value,
                     "limit": THROUGHPUT_TARGET, "unit": "runs/s", "status": status,
                     "at_least": True})
    if "tick" in report:
        entry = report["tick"]
        worst = max((entry[k] for k in ("sqlite_ms", "postgresql_ms") if k in entry),
                    default=None)
        rows.append(_target("scheduler tick, 10,000 deployments, 100 due", worst,
                            TICK_TARGET_MS, "ms"))
    return rows


def _target(name: str, value: float | None, limit: float | None, unit: str) -> dict[str, Any]:
    status = "FAIL" if value is None or limit is None or value > limit else "PASS"
    return {"target": name, "value": value, "limit": limit, "unit": unit, "status": status}


def markdown(report: dict[str, Any]) -> list[str]:
    """Report lines for the dispatch benchmarks that ran."""
    lines: list[str] = []
    measured = [e for e in report.get("latency", []) if "p50_ms" in e]
    if measured:
        lines += ["", "| dispatch latency | runs | p50 ms | p99 ms | min ms | max ms "
                      "| CPU ms/run |",
                  "|---|---:|---:|---:|---:|---:|---:|"]
        lines += [f"| {e['db']}, {e['launcher']} | {e['runs']} | {e['p50_ms']:.1f} "
                  f"| {e['p99_ms']:.1f} | {e['min_ms']:.1f} | {e['max_ms']:.1f} "
                  f"| {e.get('cpu_ms_per_run', float('nan')):.1f} |"
                  for e in measured]
    entry = report.get("throughput", {})
    if "runs_per_second" in entry:
        lines += ["", f"throughput: {entry['runs']} runs in {entry['seconds']:.2f} s = "
                      f"{entry['runs_per_second']:.1f} runs/s ({entry['workers']} workers x "
                      f"{entry['limit']} slots, {entry['launcher']} launcher, PostgreSQL), "
                      f"CPU {entry.get('cpu_ms_per_run', float('nan')):.1f} ms/run"]
    entry = report.get("tick", {})
    if "sqlite_ms" in entry:
        lines += ["", f"scheduler tick (10,000 deployments, 100 due, median of 3): SQLite "
                      f"{entry['sqlite_ms']:.1f} ms, PostgreSQL {entry['postgresql_ms']:.1f} ms"]
    return lines


def errors(report: dict[str, Any]) -> list[str]:
    """One line per dispatch benchmark that could not be measured."""
    entries = [*report.get("latency", []), report.get("throughput", {}), report.get("tick", {})]
    return [f"dispatch: {e['error']}" for e in entries if "error" in e]
