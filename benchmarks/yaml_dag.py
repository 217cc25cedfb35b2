"""YAML workflow overhead: a 200-step DAG of trivial `script` steps (20 chains of 10) run by
`legato run`'s code path on SQLite, against spawning the same 200 shell scripts directly with
the same shape (20 threads, 10 in a row each) in the same process. Target: median of paired
wall ratios <= 1.3x; CPU time (process + children) is reported too.
Run `python -m benchmarks.yaml_dag [--repeat N]`."""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from legato._clock import perf_seconds

CHAINS, LENGTH = 20, 10
TARGET_RATIO = 1.3
SOURCE = "echo step $0 > /dev/null\necho {{inputs.parameters.i}}\n"


def manifest() -> str:
    """The DAG: task c{chain}-{k} depends on c{chain}-{k-1}."""
    lines = [
        "apiVersion: argoproj.io/v1alpha1", "kind: Workflow", "metadata: {name: bench-dag}",
        "spec:", "  entrypoint: main", "  templates:", "    - name: main", "      dag:",
        "        tasks:",
    ]
    for chain in range(CHAINS):
        for k in range(LENGTH):
            task = f"          - {{name: c{chain}-{k}, template: step, arguments: " \
                   f"{{parameters: [{{name: i, value: '{chain * LENGTH + k}'}}]}}"
            lines.append(task + (f", depends: c{chain}-{k - 1}}}" if k else "}"))
    lines += [
        "    - name: step", "      inputs: {parameters: [{name: i}]}", "      script:",
        "        image: alpine", "        command: [sh]", "        source: |",
        *[f"          {line}" for line in SOURCE.rstrip("\n").split("\n")],
    ]
    return "\n".join(lines) + "\n"


def cpu_seconds() -> float:
    """CPU time of this process and its waited-for children (user + system): the work both
    sides do, which the host's other load does not inflate the way it inflates wall time.
    The process's step spawner (namespace isolation) outlives the runs, so its CPU and that
    of the steps it has reaped are read from /proc and counted too."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime + _spawner_cpu()


def _spawner_cpu() -> float:
    from legato.workflows import spawner

    found = spawner._shared
    if found is None or found.process.returncode is not None:
        return 0.0  # none, or waited for (then it is in RUSAGE_CHILDREN)
    try:
        with open(f"/proc/{found.process.pid}/stat", encoding="ascii") as file:
            fields = file.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # utime, stime, cutime, cstime: fields 14-17 of proc(5), counted after the name.
    return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def direct(workdir: Path) -> tuple[float, float]:
    """The floor: the same 200 scripts written and spawned by plain threads. (wall, CPU)"""
    def chain(index: int) -> None:
        for k in range(LENGTH):
            script = workdir / f"c{index}-{k}.sh"
            script.write_text(SOURCE.replace("{{inputs.parameters.i}}", str(index * LENGTH + k)))
            done = subprocess.run(["/bin/sh", str(script)], capture_output=True, check=False)
            assert done.returncode == 0

    cpu, started = cpu_seconds(), perf_seconds()
    threads = [threading.Thread(target=chain, args=(i,)) for i in range(CHAINS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return perf_seconds() - started, cpu_seconds() - cpu


def legato_run(path: Path) -> tuple[float, float]:
    """One run of the DAG through `legato run`'s code path. (wall, CPU)"""
    from legato.sdk import runtime
    from legato.workflows.flow import load_yaml_flow

    flow = load_yaml_flow(str(path))
    cpu, started = cpu_seconds(), perf_seconds()
    state = runtime.run_flow(flow, {})
    elapsed, used = perf_seconds() - started, cpu_seconds() - cpu
    assert state.type.value == "COMPLETED", state.message
    return elapsed, used


def measure(repeat: int = 7) -> dict[str, Any]:
    """Both sides `repeat` times, interleaved and in alternating order (A B, B A, ...) so drift
    in the host's load and any warm-cache advantage of going second hit both alike. The ratio
    is the median of the per-pair ratios (each pair ran back to back under the same load);
    CPU time is reported beside wall time."""
    from legato.settings import Settings
    from legato.workflows.flow import scratch_base

    with tempfile.TemporaryDirectory(prefix="legato-yaml-bench-") as tmp:
        root = Path(tmp)
        os.environ["LEGATO_HOME"] = str(root / "home")
        path = root / "dag.yaml"
        path.write_text(manifest())
        legato_run(path)  # warm-up: imports, database, migrations
        # The floor writes its scripts where Legato's steps write theirs (a tmpfs if any).
        floor_root = scratch_base(Settings.from_env()) / f"bench-direct-{os.getpid()}"
        ours: list[tuple[float, float]] = []
        floor: list[tuple[float, float]] = []
        try:
            for i in range(repeat):
                work = floor_root / str(i)
                work.mkdir(parents=True)
                if i % 2:
                    ours.append(legato_run(path))
                    floor.append(direct(work))
                else:
                    floor.append(direct(work))
                    ours.append(legato_run(path))
        finally:
            shutil.rmtree(floor_root, ignore_errors=True)
    walls = [o[0] / f[0] for o, f in zip(ours, floor, strict=True)]
    cpus = [o[1] / f[1] for o, f in zip(ours, floor, strict=True)]
    return {"steps": CHAINS * LENGTH, "repeat": repeat, "target_ratio": TARGET_RATIO,
            "ratio": round(statistics.median(walls), 3),
            "cpu_ratio": round(statistics.median(cpus), 3),
            "legato_s": round(statistics.median(o[0] for o in ours), 3),
            "direct_s": round(statistics.median(f[0] for f in floor), 3),
            "legato_cpu_s": round(statistics.median(o[1] for o in ours), 3),
            "direct_cpu_s": round(statistics.median(f[1] for f in floor), 3),
            "best_ratio": round(min(o[0] for o in ours) / min(f[0] for f in floor), 3),
            "pair_ratios": [round(x, 3) for x in walls],
            "legato_samples": [round(o[0], 3) for o in ours],
            "direct_samples": [round(f[0], 3) for f in floor],
            "isolation": os.environ.get("LEGATO_SCRATCH_ISOLATION", "default")}


def target(entry: dict[str, Any]) -> dict[str, Any]:
    value = entry.get("ratio")
    status = "FAIL" if value is None or value > TARGET_RATIO else "PASS"
    return {"target": "YAML 200-step DAG / direct spawns", "value": value,
            "limit": TARGET_RATIO, "unit": "x", "status": status}


def measure_in_child(repeat: int) -> dict[str, Any]:
    """`measure` in a fresh interpreter with no LEGATO_* settings (as `make bench` runs)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEGATO_")}
    env["LEGATO_LOG_LEVEL"] = "WARNING"
    done = subprocess.run([sys.executable, "-m", "benchmarks.yaml_dag", "--json", "--repeat",
                           str(repeat)], capture_output=True, text=True, env=env, check=False,
                          cwd=Path(__file__).resolve().parents[1], timeout=900)
    if done.returncode != 0:
        return {"error": done.stderr[-2000:]}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.yaml_dag", description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    args = parser.parse_args()
    entry = measure(args.repeat)
    if args.json:
        print(json.dumps(entry))
        return
    print(f"200-step YAML DAG, {entry['repeat']} interleaved pairs: wall ratio "
          f"{entry['ratio']:.2f} (median of pairs; target <= {TARGET_RATIO}), CPU ratio "
          f"{entry['cpu_ratio']:.2f}; medians legato {entry['legato_s']:.3f} s wall "
          f"{entry['legato_cpu_s']:.3f} s CPU, direct {entry['direct_s']:.3f} s wall "
          f"{entry['direct_cpu_s']:.3f} s CPU")


if __name__ == "__main__":
    main()
