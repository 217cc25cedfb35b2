"""Runs every measurement in a fresh subprocess with a fresh LEGATO_HOME, takes medians,
checks the targets, writes benchmarks/results/latest.json and prints a Markdown report."""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import dispatch, yaml_dag
from benchmarks.validate import TARGET_S as VALIDATE_TARGET_S
from benchmarks.validate import measure_validate
from benchmarks.workloads import KINDS, task_count

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "latest.json"
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
PYTHON = str(VENV_PYTHON) if VENV_PYTHON.exists() else sys.executable
TIMEOUT_S = 1800
IMPORT_SNIPPET = "import time;t=time.perf_counter();import legato;print(time.perf_counter()-t)"
W1_SIZES = (1_000, 10_000, 100_000)


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def child_env(home: str) -> dict[str, str]:
    """This environment with a fresh LEGATO_HOME and no LEGATO_* overrides (default SQLite)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEGATO_")}
    env["LEGATO_HOME"] = home
    src = str(ROOT / "src")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, str(ROOT), env.get("PYTHONPATH")) if p)
    return env


def run_child(kind: str, workload: str, n: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="legato-bench-") as tmp:
        out = Path(tmp) / "result.json"
        cmd = [PYTHON, "-m", "benchmarks.workloads", kind, workload, str(n), str(out)]
        try:
            proc = subprocess.run(
                cmd,
                cwd=ROOT,
                env=child_env(str(Path(tmp) / "home")),
                capture_output=True,
                text=True,
                timeout=TIMEOUT_S,
            )
        except subprocess.TimeoutExpired:
            return {"error": f"timed out after {TIMEOUT_S} s"}
        if proc.returncode != 0 or not out.exists():
            lines = (proc.stderr or proc.stdout).strip().splitlines()
            return {"error": lines[-1] if lines else f"exit status {proc.returncode}"}
        record: dict[str, Any] = json.loads(out.read_text())
        if not record["correct"]:
            record["error"] = f"wrong result {record['result']!r}"
        return record


def measure(kind: str, workload: str, n: int) -> dict[str, Any]:
    """Median seconds over 3 fresh processes (1 at N >= 100,000) and the highest peak RSS."""
    samples: list[dict[str, Any]] = []
    for _ in range(1 if n >= 100_000 else 3):
        sample = run_child(kind, workload, n)
        if "error" in sample:
            log(f"  {kind}: ERROR {sample['error']}")
            return {"error": sample["error"]}
        samples.append(sample)
    seconds = statistics.median(s["seconds"] for s in samples)
    cpu = statistics.median(s["cpu_seconds"] for s in samples)
    rss = max(s["maxrss_mb"] for s in samples)
    log(f"  {kind}: {seconds:.4f} s, CPU {cpu:.4f} s, peak RSS {rss:.0f} MB")
    return {"seconds": seconds, "cpu_seconds": cpu, "maxrss_mb": rss,
            "samples": [s["seconds"] for s in samples],
            "cpu_samples": [s["cpu_seconds"] for s in samples]}


def measure_import() -> dict[str, Any]:
    times = []
    for _ in range(5):
        with tempfile.TemporaryDirectory(prefix="legato-bench-") as tmp:
            proc = subprocess.run(
                [PYTHON, "-c", IMPORT_SNIPPET],
                cwd=tmp,
                env=child_env(tmp),
                capture_output=True,
                text=True,
                timeout=120,
            )
        if proc.returncode != 0:
            lines = proc.stderr.strip().splitlines()
            error = lines[-1] if lines else f"exit status {proc.returncode}"
            log(f"  import legato: ERROR {error}")
            return {"error": error}
        times.append(float(proc.stdout.strip().splitlines()[-1]))
    log(f"  import legato: best {min(times) * 1000:.1f} ms")
    return {"seconds": min(times), "samples": times}


def cases(only: set[str], quick: bool) -> list[tuple[str, int]]:
    sizes = W1_SIZES[:1] if quick else W1_SIZES
    wanted = [("W1", n) for n in sizes] + [("W2", 0), ("W3", 0)]
    return [(w, n) for w, n in wanted if not only or w in only]


def row(workload: str, n: int, by_kind: dict[str, dict[str, Any]]) -> dict[str, Any]:
    tasks = task_count(workload, n)
    lg, durable, plain = by_kind["legato"], by_kind["durable"], by_kind["plain"]
    r: dict[str, Any] = {"workload": workload, "n": n or None, "tasks": tasks, **by_kind}
    if "seconds" in lg:
        r["per_task_us"] = lg["seconds"] / tasks * 1e6
        if "seconds" in durable:
            r["x_durable"] = lg["seconds"] / durable["seconds"]
            r["x_durable_cpu"] = lg["cpu_seconds"] / durable["cpu_seconds"]
        if "seconds" in plain:
            r["x_plain"] = lg["seconds"] / plain["seconds"]
    return r


def check_targets(rows: list[dict[str, Any]], imp: dict[str, Any] | None) -> list[dict[str, Any]]:
    """PASS/FAIL per target; SKIP when not selected, FAIL when the measurement errored."""
    by = {(r["workload"], r["n"]): r for r in rows}
    w1k, w100k, w2 = by.get(("W1", 1_000)), by.get(("W1", 100_000)), by.get(("W2", None))

    def get(r: dict[str, Any] | None, key: str) -> float | None:
        return None if r is None else r.get(key, r["legato"].get(key))

    scale = None
    if get(w1k, "seconds") and get(w100k, "seconds"):
        scale = get(w100k, "seconds") / get(w1k, "seconds")
    import_ms = imp["seconds"] * 1000 if imp and "seconds" in imp else None
    specs = [
        ("W1 N=1,000 time / durable floor", w1k, get(w1k, "x_durable"), 1.0, "x"),
        ("W1 N=100,000 per task", w100k, get(w100k, "per_task_us"), 100.0, "µs"),
        ("W1 N=100,000 time / N=1,000 time", w100k and w1k, scale, 110.0, "x"),
        ("W1 N=100,000 peak RSS", w100k, get(w100k, "maxrss_mb"), 500.0, "MB"),
        ("W2 per hop", w2, get(w2, "per_task_us"), 200.0, "µs"),
        ("import legato (best of 5)", imp, import_ms, 150.0, "ms"),
    ]
    targets = []
    for name, measured, value, limit, unit in specs:
        if not measured:
            status = "SKIP"
        elif value is None:
            status = "FAIL"
        else:
            status = "PASS" if value <= limit else "FAIL"
        targets.append(
            {"target": name, "value": value, "limit": limit, "unit": unit, "status": status}
        )
    return targets


def validate_target(validate: dict[str, Any] | None) -> dict[str, Any]:
    value = validate.get("seconds") if validate else None
    status = "SKIP" if validate is None else "FAIL" if value is None else (
        "PASS" if value <= VALIDATE_TARGET_S else "FAIL")
    return {"target": "legato validate, 1,000 templates (median of 5)", "value": value,
            "limit": VALIDATE_TARGET_S, "unit": "s", "status": status}


def machine() -> dict[str, Any]:
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": commit,
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }


def fmt(value: float | None, spec: str) -> str:
    return "n/a" if value is None else format(value, spec)


def markdown(report: dict[str, Any]) -> str:
    m = report["machine"]
    lines = [
        f"Legato benchmarks — {m['date']}, commit {m['commit']}, {m['cpus']} CPUs, "
        f"Python {m['python']}, SQLite {m['sqlite']}",
        "",
        "| workload | tasks | Legato s | µs/task | durable floor s | plain s "
        "| x durable floor | x plain | peak RSS MB | Legato CPU s | x durable floor CPU |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in report["rows"]:
        name = f"{r['workload']} N={r['n']:,}" if r["n"] else r["workload"]
        lg = r["legato"]
        lines.append(
            f"| {name} | {r['tasks']:,} | {fmt(lg.get('seconds'), '.4f')} "
            f"| {fmt(r.get('per_task_us'), '.1f')} | {fmt(r['durable'].get('seconds'), '.4f')} "
            f"| {fmt(r['plain'].get('seconds'), '.6f')} | {fmt(r.get('x_durable'), '.2f')} "
            f"| {fmt(r.get('x_plain'), '.0f')} | {fmt(lg.get('maxrss_mb'), '.0f')} "
            f"| {fmt(lg.get('cpu_seconds'), '.4f')} | {fmt(r.get('x_durable_cpu'), '.2f')} |"
        )
    imp = report["import"]
    if imp is not None:
        ms = imp["seconds"] * 1000 if "seconds" in imp else None
        lines += ["", f"import legato (best of 5): {fmt(ms, '.1f')} ms"]
    errors = [
        f"{r['workload']} N={r['n'] or '-'}: {r['legato']['error']}"
        for r in report["rows"]
        if "error" in r["legato"]
    ]
    if imp is not None and "error" in imp:
        errors.append(f"import legato: {imp['error']}")
    validate = report.get("validate")
    if validate is not None:
        lines += [f"legato validate, 1,000 templates (median of 5): "
                  f"{fmt(validate.get('seconds'), '.3f')} s"]
        if "error" in validate:
            errors.append(f"legato validate: {validate['error']}")
    lines += ["", "| target | measured | limit | result |", "|---|---:|---:|---|"]
    for t in report["targets"]:
        value = fmt(t["value"], ".2f" if t["unit"] in ("x", "s") else ".1f")
        bound = "≥" if t.get("at_least") else "≤"
        lines.append(
            f"| {t['target']} | {value} {t['unit']} | {bound} {t['limit']:g} {t['unit']} "
            f"| {t['status']} |"
        )
    lines += dispatch.markdown(report.get("dispatch", {}))
    errors += dispatch.errors(report.get("dispatch", {}))
    if errors:
        lines += ["", "Errors:"] + [f"- {e}" for e in errors]
    return "\n".join(lines)


def run(only: set[str], quick: bool) -> int:
    rows = []
    for workload, n in cases(only, quick):
        log(f"{workload}" + (f" N={n:,}" if n else ""))
        rows.append(row(workload, n, {kind: measure(kind, workload, n) for kind in KINDS}))
    imp = None
    if not only or "IMPORT" in only:
        log("import")
        imp = measure_import()
    report = {"machine": machine(), "quick": quick, "rows": rows, "import": imp}
    report["targets"] = check_targets(rows, imp)
    orchestration = dispatch.suite(only, quick)
    report["dispatch"] = orchestration
    report["targets"] += dispatch.targets(orchestration)
    validate = None
    if not only or "VALIDATE" in only:
        log("legato validate")
        validate = measure_validate()
    report["validate"] = validate
    report["targets"].append(validate_target(validate))
    if not only or "YAML" in only:
        log("YAML 200-step DAG")
        report["yaml"] = yaml_dag.measure_in_child(3 if quick else 7)
        report["targets"].append(yaml_dag.target(report["yaml"]))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(markdown(report))
    print(f"\nJSON: {RESULTS.relative_to(ROOT)}")
    return 1 if any(t["status"] == "FAIL" for t in report["targets"]) else 0
