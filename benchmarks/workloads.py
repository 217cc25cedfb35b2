"""One measurement in a fresh process: `python -m benchmarks.workloads KIND WORKLOAD N OUT`
warms up once, times one run, and writes seconds (wall and CPU), peak RSS and the result to
OUT as JSON."""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from collections.abc import Callable
from typing import Any

from benchmarks import floors

KINDS = ("plain", "durable", "legato")


def args_for(workload: str, n: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(warm-up args, measured args) for a workload; only W1 takes a size."""
    if workload == "W1":
        return (10,), (n,)
    if workload == "W2":
        return (2,), (floors.W2_HOPS,)
    if workload == "W3":
        return (2, 5), (floors.W3_LAYERS, floors.W3_WIDTH)
    raise SystemExit(f"unknown workload {workload!r}; use W1, W2 or W3")


def task_count(workload: str, n: int) -> int:
    return {"W1": n + 1, "W2": floors.W2_HOPS, "W3": floors.W3_LAYERS * floors.W3_WIDTH}[workload]


def pick(kind: str, workload: str) -> Callable[..., Any]:
    """The callable to time; setup (imports, DB creation) happens here, outside the timing."""
    name = workload.lower()
    if kind == "plain":
        return getattr(floors, f"plain_{name}")
    if kind == "durable":
        home = os.environ["LEGATO_HOME"]
        os.makedirs(home, exist_ok=True)
        floor = floors.DurableFloor(os.path.join(home, "durable-floor.db"))
        return getattr(floor, name)
    if kind == "legato":
        from benchmarks import flows

        return getattr(flows, name)
    raise SystemExit(f"unknown kind {kind!r}; use one of {KINDS}")


def measure(kind: str, workload: str, n: int) -> dict[str, Any]:
    warm_args, args = args_for(workload, n)
    fn = pick(kind, workload)
    fn(*warm_args)
    start, cpu_start = time.perf_counter(), time.process_time()
    result = fn(*args)
    seconds = time.perf_counter() - start
    # CPU of every thread of this process: on a shared host it varies far less than the
    # wall time, since waiting for a CPU is not counted.
    cpu_seconds = time.process_time() - cpu_start
    expected = getattr(floors, f"plain_{workload.lower()}")(*args)
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "result": result if isinstance(result, int) else repr(result)[:200],
        "correct": result == expected,
    }


def main(argv: list[str]) -> None:
    kind, workload, n, out = argv
    record = measure(kind, workload, int(n))
    with open(out, "w") as f:
        json.dump(record, f)


if __name__ == "__main__":
    main(sys.argv[1:])
