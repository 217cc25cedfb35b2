"""API latency of the web UI's views on the big database (benchmarks.bigdata): p50/p95 of the
runs list under every filter the runs page offers, the graph of a 5,000-task run and the grid
of 100 runs x 500 tasks, against a real `legato server` on 127.0.0.1.

    python -m benchmarks.api_latency [--dialect sqlite|postgresql|both] [--samples N]

Each request is timed on the client from send to the last byte (httpx, keep-alive), after
three warm-up requests; the server runs without worker, scheduler or monitor."""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from benchmarks import bigdata
from legato.store import scratch

ROOT = Path(__file__).resolve().parent.parent
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
PYTHON = str(VENV_PYTHON) if VENV_PYTHON.exists() else sys.executable
RUNS_LIST_P95_MS = 100.0
GRAPH_P95_MS = 500.0
GRID_P95_MS = 1000.0
WARMUP = 3


def runs_list_cases() -> list[tuple[str, dict[str, Any]]]:
    """(label, query) of the runs page's filters, alone and combined."""
    week_ago = (bigdata.NOW - timedelta(days=7)).isoformat()
    month_ago = (bigdata.NOW - timedelta(days=30)).isoformat()
    deployment = bigdata.deployment_id(7)
    return [
        ("newest 50", {}),
        ("state=FAILED", {"state": "FAILED"}),
        ("state=FAILED,CRASHED", {"state": ["FAILED", "CRASHED"]}),
        ("state=RUNNING (1%)", {"state": "RUNNING"}),
        ("flow_name", {"flow_name": "flow-03"}),
        ("deployment_id", {"deployment_id": deployment}),
        ("tag", {"tag": "team-c"}),
        ("since 7 days", {"since": week_ago}),
        ("since/until a month", {"since": month_ago, "until": week_ago}),
        ("q=otter (free text)", {"q": "otter"}),
        ("q=id", {"q": bigdata.flow_run_id(54321)}),
        ("flow+state+tag", {"flow_name": "flow-05", "state": "FAILED", "tag": "team-f"}),
        ("deployment+state=CRASHED+tag", {"deployment_id": deployment, "state": "CRASHED",
                                          "tag": "team-h"}),
        ("rare: q=no-such-run", {"q": "no-such-run"}),
    ]


# Measured and reported, but not part of the target: the runs page asks for 50 at a time.
BIG_PAGE = ("limit=500 (not in target)", {"limit": 500})


def _timed(client: httpx.Client, path: str, params: Any) -> tuple[float, httpx.Response]:
    began = time.perf_counter()
    response = client.get(path, params=params)
    return (time.perf_counter() - began) * 1000, response


def sample(client: httpx.Client, path: str, params: Any, samples: int) -> dict[str, Any]:
    """p50/p95/max in ms of `samples` requests after a warm-up."""
    for _ in range(WARMUP):
        _, response = _timed(client, path, params)
        response.raise_for_status()
    times = []
    for _ in range(samples):
        elapsed, response = _timed(client, path, params)
        response.raise_for_status()
        times.append(elapsed)
    times.sort()
    return {
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": round(times[min(len(times) - 1, int(len(times) * 0.95))], 2),
        "max_ms": round(times[-1], 2),
        "bytes": len(response.content),
    }


def deep_pages(client: httpx.Client, pages: int) -> dict[str, Any]:
    """Per-page latency walking `pages` pages of the unfiltered list by cursor."""
    times = []
    params: dict[str, Any] = {"limit": 50}
    for _ in range(pages):
        elapsed, response = _timed(client, "/flow-runs", params)
        response.raise_for_status()
        times.append(elapsed)
        params["cursor"] = response.json()["next_cursor"]
        if params["cursor"] is None:
            break
    times.sort()
    return {"p50_ms": round(statistics.median(times), 2),
            "p95_ms": round(times[int(len(times) * 0.95)], 2), "max_ms": round(times[-1], 2)}


@contextmanager
def server(url: str) -> Iterator[str]:
    """A `legato server` on a free 127.0.0.1 port over `url`; yields its API base URL."""
    with tempfile.TemporaryDirectory(prefix="legato-api-bench-") as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LEGATO_")}
        env["LEGATO_HOME"] = home
        env["PYTHONPATH"] = str(ROOT / "src")
        proc = subprocess.Popen(
            [PYTHON, "-m", "legato", "server", "--db", url, "--port", "0", "--no-worker",
             "--no-scheduler", "--no-monitor"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        try:
            base = None
            deadline = time.monotonic() + 120
            assert proc.stdout is not None
            while base is None and time.monotonic() < deadline:
                line = proc.stdout.readline()
                if not line and proc.poll() is not None:
                    raise RuntimeError(f"legato server exited with status {proc.returncode}")
                found = re.search(r"serving at (http://\S+)", line)
                if found:
                    base = found.group(1)
            if base is None:
                raise RuntimeError("legato server did not say where it serves within 120 s")
            yield base
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def measure(url: str, samples: int) -> dict[str, Any]:
    """Every case against a server over `url`."""
    results: dict[str, Any] = {"runs_list": {}}
    with server(url) as base, httpx.Client(base_url=base, timeout=60) as client:
        for label, params in runs_list_cases():
            results["runs_list"][label] = sample(client, "/flow-runs", params, samples)
            log(f"    runs list {label}: {results['runs_list'][label]}")
        results["runs_list"]["cursor pages 1-40"] = deep_pages(client, 40)
        results["big page"] = sample(client, "/flow-runs", BIG_PAGE[1], max(5, samples // 3))
        results["graph 5,000 tasks"] = sample(
            client, f"/flow-runs/{bigdata.BIG_RUN_ID}/graph", {}, max(5, samples // 3))
        log(f"    graph: {results['graph 5,000 tasks']}")
        results["grid 100 x 500"] = sample(
            client, f"/deployments/{bigdata.GRID_DEPLOYMENT_ID}/grid", {"runs": 100},
            max(5, samples // 3))
        log(f"    grid: {results['grid 100 x 500']}")
    return results


def targets(dialect: str, results: dict[str, Any]) -> list[dict[str, Any]]:
    """PASS/FAIL of each target for one dialect's results."""
    worst = max(case["p95_ms"] for case in results["runs_list"].values())
    rows = [
        (f"{dialect}: runs list p95, worst filter", worst, RUNS_LIST_P95_MS),
        (f"{dialect}: graph of 5,000 tasks p95", results["graph 5,000 tasks"]["p95_ms"],
         GRAPH_P95_MS),
        (f"{dialect}: grid 100 x 500 p95", results["grid 100 x 500"]["p95_ms"], GRID_P95_MS),
    ]
    return [{"target": name, "limit": limit, "value": value,
             "status": "PASS" if value <= limit else "FAIL"} for name, value, limit in rows]


def suite(dialects: list[str], samples: int) -> dict[str, Any]:
    """Generate (or reuse) each dialect's database and measure it."""
    report: dict[str, Any] = {"samples": samples, "results": {}, "targets": []}
    for dialect in dialects:
        log(f"API latency on {dialect}")
        began = time.perf_counter()
        if dialect == "sqlite":
            url = bigdata.sqlite_database()
        else:
            admin = scratch.admin_url_from_env()
            reason = scratch.unreachable_reason(admin)
            if reason is not None:
                log(f"  skipped: {reason}")
                continue
            url = bigdata.postgresql_database(admin)
        log(f"  database ready in {time.perf_counter() - began:.0f} s")
        results = measure(url, samples)
        report["results"][dialect] = results
        report["targets"] += targets(dialect, results)
    return report


def markdown(report: dict[str, Any]) -> str:
    lines = ["| dialect | case | p50 ms | p95 ms | max ms |", "|---|---|---:|---:|---:|"]
    for dialect, results in report["results"].items():
        cases = {**{f"runs list: {k}": v for k, v in results["runs_list"].items()},
                 "runs list: limit=500 (not in target)": results["big page"],
                 "graph 5,000 tasks": results["graph 5,000 tasks"],
                 "grid 100 x 500": results["grid 100 x 500"]}
        for label, case in cases.items():
            lines.append(f"| {dialect} | {label} | {case['p50_ms']:.1f} | {case['p95_ms']:.1f} "
                         f"| {case['max_ms']:.1f} |")
    lines += ["", "| target | limit ms | value ms | verdict |", "|---|---:|---:|---|"]
    lines += [f"| {t['target']} | {t['limit']:.0f} | {t['value']:.1f} | {t['status']} |"
              for t in report["targets"]]
    return "\n".join(lines)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run(quick: bool) -> int:
    """`make bench BENCH_ARGS="--only API"`: both dialects, fewer samples with `quick`."""
    report = suite(["sqlite", "postgresql"], 10 if quick else 40)
    return _finish(report)


def _finish(report: dict[str, Any]) -> int:
    out = ROOT / "benchmarks" / "results" / "api_latency.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(markdown(report))
    return 1 if any(t["status"] == "FAIL" for t in report["targets"]) else 0


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.api_latency", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dialect", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--samples", type=int, default=40)
    args = parser.parse_args()
    dialects = ["sqlite", "postgresql"] if args.dialect == "both" else [args.dialect]
    return _finish(suite(dialects, args.samples))


if __name__ == "__main__":
    sys.exit(main())
