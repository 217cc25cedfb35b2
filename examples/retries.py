"""A task that fails on its first attempt and succeeds on the second, showing `retries`.

The task remembers its attempts in a file under `workdir`, so the example behaves the same in
threads and in worker processes: `legato run examples/retries.py:retries -p workdir=/tmp/lg`.
"""

from __future__ import annotations

from pathlib import Path

from legato import flow, get_run_logger, task


@task(retries=2, retry_delay_seconds=0)
def flaky_fetch(workdir: str, key: str) -> str:
    attempts = Path(workdir) / f"{key}.attempts"
    attempts.parent.mkdir(parents=True, exist_ok=True)
    with attempts.open("a") as file:
        file.write("attempt\n")
    count = len(attempts.read_text().splitlines())
    if count == 1:
        raise ConnectionError(f"fetching {key!r} failed on attempt 1 (on purpose)")
    get_run_logger().info("fetched %s after %d attempts", key, count)
    return f"{key}:data"


@task
def combine(parts: list[str]) -> str:
    return ",".join(parts)


@flow
def retries(workdir: str, keys: list[str] | None = None) -> str:
    # A fresh workdir per run would make every run fail once; clear old markers instead.
    for old in Path(workdir).glob("*.attempts"):
        old.unlink()
    futures = [flaky_fetch.submit(workdir, key) for key in keys or ["a", "b", "c"]]
    return combine([future.result() for future in futures])


if __name__ == "__main__":
    import tempfile

    print(retries(workdir=tempfile.mkdtemp(prefix="legato-retries-")))
