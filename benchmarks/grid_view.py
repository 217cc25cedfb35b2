"""The grid view of 100 runs x 500 tasks, end to end: the grid API's latency (and the server's
CPU time per request), and in headless Chromium the time from navigation to the grid drawn and
answering a click on a cell. A small database of its own: one deployment, 100 runs, 500 tasks
each (50,000 task runs), built once per dialect into a scratch database.

    python -m benchmarks.grid_view [--dialect sqlite|postgresql|both] [--samples 20]

Targets: the grid page interactive <= 2 s (p50 of fresh page loads), the grid API p95 <= 1 s."""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import make_url

from benchmarks import api_latency
from benchmarks.bigdata import _copy, _insert
from legato.store import migrate, scratch

ROOT = Path(__file__).resolve().parent.parent
RUNS = 100
TASKS = 500
DEPLOYMENT_ID = "d1000000-0000-7000-8000-000000000000"
FLOW_ID = "a1000000-0000-7000-8000-000000000000"
T0 = datetime(2026, 6, 1, tzinfo=UTC)
INTERACTIVE_MS = 2000.0
API_P95_MS = 1000.0
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
FLOW_RUN_COLUMNS = ("id", "flow_id", "name", "parameters", "state", "created", "updated",
                    "start_time", "end_time", "run_count", "tags", "deployment_id",
                    "scheduled_time", "is_backfill", "late", "lease_epoch", "crash_count")
TASK_RUN_COLUMNS = ("id", "flow_run_id", "task_key", "task_name", "map_index", "state",
                    "attempts", "created", "updated", "start_time", "end_time")
DEPLOYMENT_COLUMNS = ("id", "name", "flow_id", "entrypoint", "parameters", "tags", "work_queue",
                      "paused", "catchup", "catchup_window_seconds", "catchup_max_runs",
                      "created", "updated", "crash_retries")


def _ts(moment: datetime, sqlite: bool) -> str:
    return moment.isoformat(" ", "microseconds") if sqlite else moment.isoformat()


def run_id(number: int) -> str:
    return f"f1000000-0000-7000-8000-{number:012x}"


def _run_rows(sqlite: bool) -> Iterator[tuple[object, ...]]:
    for number in range(RUNS):
        created = T0 + timedelta(hours=number)
        ended = created + timedelta(seconds=60 + number)
        state = "FAILED" if number % 10 == 7 else "COMPLETED"
        yield (run_id(number), FLOW_ID, f"grid-run-{number}", "{}", state, _ts(created, sqlite),
               _ts(ended, sqlite), _ts(created, sqlite), _ts(ended, sqlite), 1, "[]",
               DEPLOYMENT_ID, _ts(created, sqlite), False, False, 0, 0)


def _task_rows(sqlite: bool) -> Iterator[tuple[object, ...]]:
    for number in range(RUNS):
        start = T0 + timedelta(hours=number)
        for index in range(TASKS):
            began = start + timedelta(milliseconds=10 * index)
            ended = began + timedelta(milliseconds=10 + (index * 7 + number) % 900)
            state = "FAILED" if number % 10 == 7 and index == TASKS - 1 else "COMPLETED"
            key = f"step{index // 20}-{index}"
            yield (f"c1000000-0000-7000-8000-{number * TASKS + index:012x}", run_id(number), key,
                   f"step{index // 20}", None, state, 1, _ts(began, sqlite), _ts(ended, sqlite),
                   _ts(began, sqlite), _ts(ended, sqlite))


def _deployment_row(sqlite: bool) -> tuple[object, ...]:
    created = _ts(T0 - timedelta(days=1), sqlite)
    return (DEPLOYMENT_ID, "grid", FLOW_ID, "bench.py:grid", "{}", "[]", "default", False,
            "latest", 3600, 1, created, created, 0)


def build_sqlite(path: Path) -> str:
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    conn = sqlite3.connect(path)
    try:
        with conn:
            _insert(conn, "flows", ("id", "name", "created"),
                    iter([(FLOW_ID, "grid-flow", _ts(T0, True))]))
            _insert(conn, "deployments", DEPLOYMENT_COLUMNS, iter([_deployment_row(True)]))
            _insert(conn, "flow_runs", FLOW_RUN_COLUMNS, _run_rows(True))
            _insert(conn, "task_runs", TASK_RUN_COLUMNS, _task_rows(True))
        conn.execute("ANALYZE")
    finally:
        conn.close()
    return url


def build_postgresql(admin_url: str) -> str:
    import psycopg

    url = scratch.create_scratch_database(admin_url, prefix="legato_bench_grid")
    migrate.upgrade(url)
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as conn, conn.cursor() as cursor:
        _copy(cursor, "flows", ("id", "name", "created"), iter([(FLOW_ID, "grid-flow", T0)]))
        _copy(cursor, "deployments", DEPLOYMENT_COLUMNS, iter([_deployment_row(False)]))
        _copy(cursor, "flow_runs", FLOW_RUN_COLUMNS, _run_rows(False))
        _copy(cursor, "task_runs", TASK_RUN_COLUMNS, _task_rows(False))
        conn.commit()
        conn.autocommit = True
        cursor.execute("VACUUM ANALYZE")
    return url


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid` (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure_api(client: httpx.Client, pid: int, samples: int) -> dict[str, Any]:
    path = f"/deployments/{DEPLOYMENT_ID}/grid"
    for _ in range(api_latency.WARMUP):
        client.get(path, params={"runs": RUNS}).raise_for_status()
    times = []
    cpu_before = _cpu_seconds(pid)
    for _ in range(samples):
        began = time.perf_counter()
        response = client.get(path, params={"runs": RUNS})
        times.append((time.perf_counter() - began) * 1000)
        response.raise_for_status()
    cpu = (_cpu_seconds(pid) - cpu_before) / samples * 1000
    body = response.json()
    assert len(body["runs"]) == RUNS and len(body["tasks"]) == TASKS, "unexpected grid shape"
    times.sort()
    return {"p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[min(len(times) - 1, int(len(times) * 0.95))], 1),
            "server_cpu_ms_per_request": round(cpu, 1), "bytes": len(response.content)}


def measure_browser(base: str, samples: int) -> dict[str, Any]:
    """Fresh page loads of the grid page: wall time from goto() to a click on a cell having
    opened that task run; in-page times (performance.now, from navigation start) at which the
    grid request left, its response arrived and the grid was drawn."""
    from playwright.sync_api import sync_playwright

    origin = base.removesuffix("/api/v1")
    url = f"{origin}/deployments/{DEPLOYMENT_ID}/grid"
    interactive: list[float] = []
    drawn: list[float] = []
    request_start: list[float] = []
    response_end: list[float] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS)
        try:
            for index in range(samples + 1):
                context = browser.new_context(viewport={"width": 1400, "height": 900})
                page = context.new_page()
                began = time.perf_counter()
                page.goto(url)
                canvas = page.locator("[data-testid=grid-canvas][data-drawn]")
                canvas.wait_for(timeout=30_000)
                box = canvas.bounding_box()
                assert box is not None
                layout = json.loads(canvas.get_attribute("data-layout") or "{}")
                drawn_at = float(canvas.get_attribute("data-drawn") or "nan")
                fetched = page.evaluate(
                    "performance.getEntriesByType('resource').filter(e => e.name.includes('/grid'))"
                    ".map(e => [e.startTime, e.responseEnd])[0]"
                )
                # the newest run's cell of the 10th task
                x = layout["label"] + (RUNS - 0.5) * layout["cellWidth"]
                y = layout["header"] + 9.5 * layout["rowHeight"]
                page.mouse.click(box["x"] + x, box["y"] + y)
                page.wait_for_url(f"**/runs/{run_id(RUNS - 1)}?*", timeout=30_000)
                elapsed = (time.perf_counter() - began) * 1000
                context.close()
                if index:  # the first load warms the server and the browser's code cache
                    interactive.append(elapsed)
                    drawn.append(drawn_at)
                    request_start.append(fetched[0])
                    response_end.append(fetched[1])
        finally:
            browser.close()
    return {"interactive_p50_ms": round(statistics.median(interactive), 1),
            "interactive_max_ms": round(max(interactive), 1),
            "grid_request_sent_p50_ms": round(statistics.median(request_start), 1),
            "grid_response_received_p50_ms": round(statistics.median(response_end), 1),
            "drawn_in_page_p50_ms": round(statistics.median(drawn), 1)}


@contextmanager
def server(url: str) -> Iterator[tuple[str, int]]:
    """A `legato server` (API only) over `url`; yields its API base URL and its pid."""
    with tempfile.TemporaryDirectory(prefix="legato-grid-bench-") as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LEGATO_")}
        env["LEGATO_HOME"] = home
        proc = subprocess.Popen(
            [api_latency.PYTHON, "-m", "legato", "server", "--db", url, "--port", "0",
             "--no-worker", "--no-scheduler", "--no-monitor"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        try:
            assert proc.stdout is not None
            base = None
            while base is None:
                line = proc.stdout.readline()
                if not line and proc.poll() is not None:
                    raise RuntimeError(f"legato server exited with status {proc.returncode}")
                found = re.search(r"serving at (http://\S+)", line)
                base = found.group(1) if found else None
            yield base, proc.pid
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def measure(dialect: str, samples: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="legato-grid-bench-") as tmp:
        admin = scratch.admin_url_from_env()
        url = build_sqlite(Path(tmp) / "grid.db") if dialect == "sqlite" else build_postgresql(admin)
        try:
            with server(url) as (base, pid), httpx.Client(base_url=base, timeout=60) as client:
                return {"api": measure_api(client, pid, samples),
                        "browser": measure_browser(base, max(3, samples // 4))}
        finally:
            if dialect == "postgresql":
                scratch.drop_scratch_database(url, admin)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.grid_view", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dialect", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--samples", type=int, default=20)
    args = parser.parse_args()
    dialects = ["sqlite", "postgresql"] if args.dialect == "both" else [args.dialect]
    report: dict[str, Any] = {}
    status = 0
    for dialect in dialects:
        report[dialect] = measure(dialect, args.samples)
        api, browser = report[dialect]["api"], report[dialect]["browser"]
        verdicts = (api["p95_ms"] <= API_P95_MS, browser["interactive_p50_ms"] <= INTERACTIVE_MS)
        status |= 0 if all(verdicts) else 1
        print(f"{dialect}: grid API {api} | browser {browser} | "
              f"{'PASS' if all(verdicts) else 'FAIL'}", flush=True)
    out = ROOT / "benchmarks" / "results" / "grid_view.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    return status


if __name__ == "__main__":
    sys.exit(main())
