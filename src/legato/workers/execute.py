"""`python -m legato.workers.execute FLOW_RUN_ID EPOCH`: the child process a worker launches
to execute one claimed run. Exits 0 once the run's final state is recorded, 3 when the
run was taken from this holder (stale epoch), 1 on any other failure. CANCEL_SIGNAL asks it
to stop at the next task boundary and end the run CANCELLED."""

from __future__ import annotations

import base64
import logging
import signal
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from legato._clock import SYSTEM_CLOCK
from legato.core.records import FlowRunRecord, FlowVersionRecord
from legato.core.states import StateType, is_terminal
from legato.engine.context import cancel_flow_runs
from legato.engine.recorder import start_daemon
from legato.errors import LegatoError, ParameterError, StaleEpoch
from legato.schemas.records import FlowRunModel, FlowVersionModel
from legato.schemas.workers import ClaimedRunStart
from legato.sdk import runtime

EXIT_STALE = 3

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


def encode_start(claimed: FlowRunRecord, version: FlowVersionRecord | None) -> str:
    """What a worker already knows about a claimed run (its record and pinned version), as
    one line of text a warm parent passes to the run's process (see `run_prefetched`)."""
    start = ClaimedRunStart(run=FlowRunModel.from_record(claimed),
                       version=FlowVersionModel.from_record(version) if version else None)
    return base64.urlsafe_b64encode(start.model_dump_json().encode()).decode()


def decode_start(text: str) -> tuple[FlowRunRecord, FlowVersionRecord | None]:
    """The record and version `encode_start` made; ParameterError if the text is not one."""
    try:
        start = ClaimedRunStart.model_validate_json(base64.urlsafe_b64decode(text.encode()))
    except (ValueError, ValidationError) as error:
        raise ParameterError(
            f"the start of a claimed run is not what encode_start makes ({error}); run the "
            "worker and its warm parent from the same Legato installation."
        ) from None
    return start.run.to_record(), start.version.to_record() if start.version else None


def run_prefetched(flow_run_id: str, epoch: int, start: str) -> int:
    """Execute a claimed run with the record and version the worker passed along (no reads
    before the run starts); return the exit status as `main` does."""
    try:
        claimed, version = decode_start(start)
    except ParameterError as error:
        _log.warning("%s", error)
        return execute(flow_run_id, epoch)
    if claimed.id != flow_run_id:
        return execute(flow_run_id, epoch)
    return execute(flow_run_id, epoch, claimed, version)


def main(argv: Sequence[str]) -> int:
    """Execute the run named by argv (flow run id, epoch); return the exit status."""
    if len(argv) != 2 or not argv[1].isdigit():
        print("usage: python -m legato.workers.execute FLOW_RUN_ID EPOCH", file=sys.stderr)
        return 2
    return execute(argv[0], int(argv[1]))


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
