"""YAML workflow overhead: a 200-step DAG of trivial `script` steps (20 chains of 10) run by
`legato run`'s code path on SQLite, against spawning the same 200 shell scripts directly with
the same shape (20 threads, 10 in a row each) in the same process. Target: <= 1.3x.
Run `python -m benchmarks.yaml_dag [--repeat N]`."""

from __future__ import annotations

import argparse
import json
import os
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


def direct(workdir: Path) -> float:
    """The floor: the same 200 scripts written and spawned by plain threads."""
    def chain(index: int) -> None:
        for k in range(LENGTH):
            script = workdir / f"c{index}-{k}.sh"
            script.write_text(SOURCE.replace("{{inputs.parameters.i}}", str(index * LENGTH + k)))
            done = subprocess.run(["/bin/sh", str(script)], capture_output=True, check=False)
            assert done.returncode == 0

    started = perf_seconds()
    threads = [threading.Thread(target=chain, args=(i,)) for i in range(CHAINS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return perf_seconds() - started


def legato_run(path: Path) -> float:
    from legato.sdk import runtime
    from legato.workflows.flow import load_yaml_flow

    flow = load_yaml_flow(str(path))
    started = perf_seconds()
    state = runtime.run_flow(flow, {})
    elapsed = perf_seconds() - started
    assert state.type.value == "COMPLETED", state.message
    return elapsed


def measure(repeat: int = 7) -> dict[str, Any]:
    """Best-of-N wall time of both (the suite's rule for noisy single measurements, as for
    import time), interleaved so machine noise hits them alike; medians are kept too."""
    with tempfile.TemporaryDirectory(prefix="legato-yaml-bench-") as tmp:
        root = Path(tmp)
        os.environ["LEGATO_HOME"] = str(root / "home")
        path = root / "dag.yaml"
        path.write_text(manifest())
        legato_run(path)  # warm-up: imports, database, migrations
        ours, floor = [], []
        for i in range(repeat):
            work = root / f"direct-{i}"
            work.mkdir()
            floor.append(direct(work))
            ours.append(legato_run(path))
    legato_s, direct_s = min(ours), min(floor)
    median_ratio = statistics.median(ours) / statistics.median(floor)
    return {"steps": CHAINS * LENGTH, "legato_s": round(legato_s, 3),
            "direct_s": round(direct_s, 3), "ratio": round(legato_s / direct_s, 3),
            "median_ratio": round(median_ratio, 3), "target_ratio": TARGET_RATIO,
            "repeat": repeat, "legato_samples": [round(x, 3) for x in ours],
            "direct_samples": [round(x, 3) for x in floor]}


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
    print(f"200-step YAML DAG, best of {entry['repeat']}: legato {entry['legato_s']:.3f} s, "
          f"direct spawns {entry['direct_s']:.3f} s, ratio {entry['ratio']:.2f} (medians "
          f"{entry['median_ratio']:.2f}; target <= {TARGET_RATIO})")


if __name__ == "__main__":
    main()
