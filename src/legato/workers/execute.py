"""`python -m legato.workers.execute FLOW_RUN_ID EPOCH [--start-fd N]`: the child process a
worker launches to execute one claimed run (reading the claimed record from descriptor N when
given). Exits 0 once the run's final state is recorded, 3 when the run was taken from this
holder (stale epoch), 1 on any other failure. CANCEL_SIGNAL asks it to stop at the next task
boundary and end the run CANCELLED."""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Sequence

from legato._clock import SYSTEM_CLOCK
from legato.core.records import FlowRunRecord, FlowVersionRecord
from legato.core.states import StateType, is_terminal
from legato.engine.context import cancel_flow_runs
from legato.engine.recorder import start_daemon
from legato.errors import LegatoError, ParameterError, StaleEpoch
from legato.sdk import runtime
from legato.workers.handover import decode_start

EXIT_STALE = 3
# Names the inherited descriptor a subprocess launcher wrote `encode_start`'s text to.
START_FD_OPTION = "--start-fd"
USAGE = "usage: python -m legato.workers.execute FLOW_RUN_ID EPOCH [--start-fd N]"

# What a worker sends a run's process to cancel it cooperatively (SIGTERM stops it at once).
CANCEL_SIGNAL: int | None = getattr(signal, "SIGUSR1", None)
CANCEL_RETRY_SECONDS = 0.05
_log = logging.getLogger("legato.workers.execute")


def listen_for_cancel() -> bool:
    """Turn CANCEL_SIGNAL into a cancel of the flow runs of this process at their next task
    boundary. The signal is blocked in every thread and awaited by one of its own, so no
    handler interrupts the engine while it holds a lock. Call before any thread starts;
    False where the platform has no such signal."""
    if CANCEL_SIGNAL is None or not hasattr(signal, "pthread_sigmask"):
        return False
    signals = {CANCEL_SIGNAL}
    signal.pthread_sigmask(signal.SIG_BLOCK, signals)

    def wait() -> None:
        signal.sigwait(signals)
        _log.info("cancel requested; stopping at the next task boundary")
        while not cancel_flow_runs():  # the run has not begun yet: ask it once it has
            SYSTEM_CLOCK.sleep(CANCEL_RETRY_SECONDS)

    start_daemon(wait, "legato-cancel")
    return True


def decode_claimed(flow_run_id: str,
                   start: str) -> tuple[FlowRunRecord, FlowVersionRecord | None] | None:
    """The claimed record and pinned version a worker passed along for this run, or None
    when `start` is not one of this run (the run then reads them from the backend)."""
    try:
        claimed, version = decode_start(start)
    except ParameterError as error:
        _log.warning("%s", error)
        return None
    return (claimed, version) if claimed.id == flow_run_id else None


def run_prefetched(flow_run_id: str, epoch: int, start: str) -> int:
    """Execute a claimed run with the record and version the worker passed along (no reads
    before the run starts); return the exit status as `main` does."""
    decoded = decode_claimed(flow_run_id, start)
    if decoded is None:
        return execute(flow_run_id, epoch)
    return execute(flow_run_id, epoch, *decoded)


def main(argv: Sequence[str]) -> int:
    """Execute the run named by argv (flow run id, epoch, and optionally `--start-fd N`);
    return the exit status."""
    with_start = len(argv) == 4 and argv[2] == START_FD_OPTION and argv[3].isdigit()
    if not (len(argv) == 2 or with_start) or not argv[1].isdigit():
        print(USAGE, file=sys.stderr)
        return 2
    if with_start:
        start = read_start(int(argv[3]))
        if start is not None:
            return run_prefetched(argv[0], int(argv[1]), start)
    return execute(argv[0], int(argv[1]))


def read_start(fd: int) -> str | None:
    """The hand-over a launcher wrote to descriptor `fd` (read to its end and closed), or
    None when it cannot be read; the run then reads its record from the backend."""
    try:
        with open(fd, "rb") as pipe:
            return pipe.read().decode()
    except (OSError, UnicodeDecodeError) as error:
        _log.warning("could not read the claimed run from descriptor %d (%s); reading it "
                     "from the backend", fd, error)
        return None


def execute(flow_run_id: str, epoch: int, claimed: FlowRunRecord | None = None,
            version: FlowVersionRecord | None = None) -> int:
    """Execute a claimed run in this process; return the exit status."""
    listen_for_cancel()
    try:
        runtime.execute_flow_run(flow_run_id, epoch=epoch, claimed=claimed, version=version)
    except StaleEpoch as error:
        print(f"legato: stopped flow run {flow_run_id}: {error}", file=sys.stderr)
        return EXIT_STALE
    except LegatoError as error:
        print(f"legato: flow run {flow_run_id} could not run: {error}", file=sys.stderr)
        _fail(flow_run_id, epoch, error)
        return 1
    return 0


def _fail(flow_run_id: str, epoch: int, error: LegatoError) -> None:
    """Record why a run could not start (bad entrypoint, parameters); the worker marks it
    CRASHED instead if even this fails."""
    try:
        backend = runtime.get_backend()
        if not is_terminal(backend.read_flow_run(flow_run_id).state):
            backend.set_flow_run_state(flow_run_id, StateType.FAILED, message=str(error),
                                       epoch=epoch)
    except LegatoError as second:
        _log.warning("could not mark flow run %s FAILED: %s", flow_run_id, second)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    sys.exit(main(sys.argv[1:]))
