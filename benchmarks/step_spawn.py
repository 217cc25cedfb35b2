"""CPU per trivial step (`sh -c 'echo step >/dev/null'`) for the three ways a YAML step can
start: a plain `subprocess.Popen` (scratch paths rewritten), the step spawner (mount
namespace) and the `unshare` wrapper (mount namespace). Run `python -m benchmarks.step_spawn
[--steps N]`; prints one JSON line of milliseconds per step."""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from legato.workflows import isolation
from legato.workflows.spawner import Spawner

STEP = ["/bin/sh", "-c", "echo step > /dev/null"]


def _cpu() -> tuple[float, float]:
    """(this process, waited-for children) CPU seconds."""
    me, kids = os.times(), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.user + me.system, kids.ru_utime + kids.ru_stime


def _popen(argv: list[str]) -> None:
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    proc.communicate()


def _per_step(steps: int, start: Callable[[], None]) -> dict[str, float]:
    before = _cpu()
    for _ in range(steps):
        start()
    after = _cpu()
    return {"parent_ms": round((after[0] - before[0]) * 1000 / steps, 3),
            "children_ms": round((after[1] - before[1]) * 1000 / steps, 3)}


def measure(steps: int) -> dict[str, object]:
    result: dict[str, object] = {"steps": steps, "plain": _per_step(steps, lambda: _popen(STEP))}
    if isolation.probe() is not None:
        result["namespaces"] = isolation.probe()
        return result
    base = Path(tempfile.mkdtemp(prefix="legato-step-spawn-", dir="/dev/shm"))
    try:
        (base / "tmp").mkdir()
        mounts = [(str(base / "tmp"), "/tmp")]
        result["wrapper"] = _per_step(steps, lambda: _popen(isolation.wrap(STEP, mounts)))
        env = dict(os.environb)
        # The spawner's own CPU and its steps' reach RUSAGE_CHILDREN once it has been waited
        # for, so its start and close are inside the measurement (spread over the steps).
        before = _cpu()
        spawner = Spawner()
        for _ in range(steps):
            proc = spawner.spawn(STEP, base, env, mounts, "benchmark")
            for stream in (proc.stdout, proc.stderr):
                if stream is not None:
                    stream.read()
                    stream.close()
            proc.wait()
        spawner.close()
        after = _cpu()
        result["spawner"] = {
            "parent_ms": round((after[0] - before[0]) * 1000 / steps, 3),
            "children_ms": round((after[1] - before[1]) * 1000 / steps, 3)}
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.step_spawn", description=__doc__)
    parser.add_argument("--steps", type=int, default=300)
    print(json.dumps(measure(parser.parse_args().steps)))


if __name__ == "__main__":
    main()
