"""`python -m legato.workers.execute FLOW_RUN_ID EPOCH`: the child process a worker launches
to execute one claimed run. Exits 0 once the run's final state is recorded, 3 when the
run was taken from this holder (stale epoch), 1 on any other failure."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

from legato.core.states import StateType, is_terminal
from legato.errors import LegatoError, StaleEpoch
from legato.sdk import runtime

EXIT_STALE = 3
_log = logging.getLogger("legato.workers.execute")


def main(argv: Sequence[str]) -> int:
    """Execute the run named by argv (flow run id, epoch); return the exit status."""
    if len(argv) != 2 or not argv[1].isdigit():
        print("usage: python -m legato.workers.execute FLOW_RUN_ID EPOCH", file=sys.stderr)
        return 2
    flow_run_id, epoch = argv[0], int(argv[1])
    try:
        runtime.execute_flow_run(flow_run_id, epoch=epoch)
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
