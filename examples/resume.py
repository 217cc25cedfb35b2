"""A flow that fails on its first run and succeeds when the run is retried, showing that a
retry reuses completed task runs: `extract` runs once however often the run is retried.

    legato run examples/resume.py:resume -p workdir=/tmp/lg     # FAILED
    legato runs retry <flow run id>                             # COMPLETED, extract not rerun

`extract` appends a line to workdir/extract.log each time it executes; `publish` fails until
the file workdir/ready exists, and creates it when it fails, so the retry finds it.
"""

from __future__ import annotations

from pathlib import Path

from legato import flow, get_run_logger, task


@task
def extract(workdir: str) -> list[int]:
    with (Path(workdir) / "extract.log").open("a") as file:
        file.write("extract ran\n")
    get_run_logger().info("extracted 3 rows")
    return [1, 2, 3]


@task
def publish(workdir: str, rows: list[int]) -> int:
    ready = Path(workdir) / "ready"
    if not ready.exists():
        ready.touch()
        raise RuntimeError(f"{ready} did not exist yet; retry the run to publish")
    get_run_logger().info("published %d rows", len(rows))
    return sum(rows)


@flow
def resume(workdir: str) -> int:
    Path(workdir).mkdir(parents=True, exist_ok=True)
    rows = extract(workdir)
    return publish(workdir, rows)


if __name__ == "__main__":
    import tempfile

    print(resume(workdir=tempfile.mkdtemp(prefix="legato-resume-")))
