"""The flows the browser tests deploy: a mapped pipeline, a slow run to cancel (it notes its
pid), a run that fails until a marker file exists (to retry from failure), a chain of tasks
with a side branch (to retry from a chosen task), runs that pause or suspend for input, and
one whose task returns a loaded secret."""

FLOWS = '''
import os
import time
from pathlib import Path

from pydantic import BaseModel

from legato import Secret, flow, get_run_logger, pause_flow_run, suspend_flow_run, task


def note(workdir: str, line: str) -> None:
    with open(Path(workdir) / "calls.log", "a") as fh:
        fh.write(line + "\\n")


@task
def extract(n: int) -> list[int]:
    return list(range(n))


@task
def square(value: int) -> int:
    return value * value


@task
def load(values: list[int]) -> int:
    get_run_logger().info("loaded %d rows, total \\x1b[32m%d\\x1b[0m <b>bold?</b>", len(values), sum(values))
    return sum(values)


@flow
def pipeline(workdir: str = "", n: int = 3) -> int:
    rows = extract(n)
    squares = square.map(rows)
    return load([future.result() for future in squares])


@task
def nap(seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.05)


@flow
def slow(workdir: str = "", seconds: float = 120) -> None:
    if workdir:
        note(workdir, f"pid {os.getpid()}")
    nap(seconds)


@task
def prepare(workdir: str) -> int:
    note(workdir, "prepare")
    return 1


@task
def check(workdir: str, value: int) -> int:
    note(workdir, "check")
    if not (Path(workdir) / "fixed").exists():
        raise RuntimeError("the input is not fixed yet")
    return value + 1


@flow
def flaky(workdir: str = "") -> int:
    return check(workdir, prepare(workdir))


class Approval(BaseModel):
    approved: bool
    factor: int = 1


@task
def base() -> int:
    return 7


@flow
def gated(workdir: str = "") -> int:
    n = base()
    answer = pause_flow_run(Approval, timeout=300, poll_interval=0.2)
    return n * answer.factor if answer.approved else 0


@flow
def suspended(workdir: str = "") -> int:
    n = base()
    answer = suspend_flow_run(Approval, timeout=300, description="Approve the factor.")
    note(workdir, f"input approved={answer.approved} factor={answer.factor}")
    return n * answer.factor if answer.approved else 0


@task
def first(workdir: str) -> int:
    note(workdir, "first")
    return 1


@task
def second(workdir: str, value: int) -> int:
    note(workdir, "second")
    return value + 1


@task
def third(workdir: str, value: int) -> int:
    note(workdir, "third")
    return value + 1


@task
def aside(workdir: str) -> int:
    note(workdir, "aside")
    return 10


@flow
def chain(workdir: str = "") -> int:
    # Futures passed on become the graph's edges: first -> second -> third, aside alone.
    last = third.submit(workdir, second.submit(workdir, first.submit(workdir)))
    side = aside.submit(workdir)
    return last.result() + side.result()


@task
def credentials() -> dict[str, str]:
    return {"user": "svc", "password": Secret.load("ui-leak-token").get()}


@flow
def leaky(workdir: str = "") -> dict[str, object]:
    creds = credentials()
    return {"length": len(creds["password"]), "creds": creds}
'''
