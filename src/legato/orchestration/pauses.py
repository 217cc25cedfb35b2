"""Pause and resume flow runs through the one door: store a run's pause point and move it to
PAUSED; on resume check the input against the pause point's JSON schema, store it and move
the run on (RUNNING for a waiting process, SCHEDULED for a suspended one); fail suspended
runs nobody resumed in time. Used by LocalBackend and the monitor."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from legato.core.pauses import (
    MAX_KEY,
    PAUSE_TIMEOUT_MESSAGE,
    RESUME_MESSAGE,
    InputStatus,
    PauseKind,
    PauseNotPending,
    PauseRequest,
    RunInputRecord,
    expired_message,
    pause_message,
)
from legato.core.records import FlowRunRecord
from legato.core.states import StateType
from legato.errors import ParameterError
from legato.orchestration.service import OrchestrationService, check_epoch, flow_run_not_found
from legato.store import leases, run_inputs, runs, slots

# At most this many errors are listed in one ParameterError about a run's input.
MAX_LISTED_ERRORS = 20


def check_request(flow_run_id: str, request: PauseRequest) -> None:
    """Refuse a malformed pause point before anything is stored."""
    if not request.key or len(request.key) > MAX_KEY:
        raise ParameterError(
            f"pause key {request.key[:40]!r} of flow run {flow_run_id} must be 1 to {MAX_KEY} "
            "characters; pass a shorter key=."
        )
    if request.schema is not None:
        _schema_validator(request.schema, f"the input schema of pause {request.key!r}")


def validate_input(value: Any, schema: dict[str, Any] | None, where: str) -> None:
    """Raise ParameterError listing every way `value` fails `schema` (no schema: the value
    must be None, since the pause asked for no input)."""
    if schema is None:
        if value is not None:
            raise ParameterError(
                f"{where} takes no input, but some was given; resume it without input."
            )
        return
    validator = _schema_validator(schema, where)
    problems = sorted(validator.iter_errors(value), key=lambda e: list(map(str, e.path)))
    if not problems:
        return
    errors = [(".".join(map(str, e.path)) or "(input)", e.message) for e in problems]
    listed = "; ".join(f"{field}: {message}" for field, message in errors[:MAX_LISTED_ERRORS])
    raise ParameterError(
        f"the input for {where} is invalid ({listed}); resume it with input that matches "
        "its schema.",
        errors[:MAX_LISTED_ERRORS],
    )


def _schema_validator(schema: dict[str, Any], where: str) -> Any:
    # Loaded on first use: only resumes with input need it.
    import jsonschema

    try:
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
    except jsonschema.SchemaError as error:
        raise ParameterError(
            f"{where} is not a valid JSON schema ({error.message}); fix the type given to "
            "wait_for_input."
        ) from None
    return cls(schema)


class PauseService:
    """Pause points over the orchestration service's database."""

    def __init__(self, service: OrchestrationService) -> None:
        self.service = service
        self.db = service.db

    def pause_flow_run(
        self, flow_run_id: str, request: PauseRequest, now: datetime, *, epoch: int | None = None
    ) -> FlowRunRecord:
        """Store `request` and move the RUNNING run to PAUSED; a suspended run also gives up
        its lease, so its worker lets the process end without crashing the run."""
        check_request(flow_run_id, request)
        with self.db.writing() as conn:
            current = runs.read_flow_run(conn, flow_run_id, for_update=True)
            if current is None:
                raise flow_run_not_found(flow_run_id)
            if epoch is not None:
                check_epoch(conn, flow_run_id, epoch)
            record = self.service.transition(
                conn, current, StateType.PAUSED, pause_message(request), None, False
            )
            run_inputs.save_request(conn, flow_run_id, request, now)
            if request.kind is PauseKind.SUSPEND:
                leases.release(conn, flow_run_id)
                slots.release_run(conn, flow_run_id)
            return record

    def resume_flow_run(
        self, flow_run_id: str, value: Any, now: datetime, *, key: str | None = None
    ) -> FlowRunRecord:
        """Answer the run's pending pause point with `value` (checked against its schema)
        and move the run on: RUNNING when its process waits, SCHEDULED when it was
        suspended. PauseNotPending when the run waits at no (or another) pause point."""
        with self.db.writing() as conn:
            current = runs.read_flow_run(conn, flow_run_id, for_update=True)
            if current is None:
                raise flow_run_not_found(flow_run_id)
            pending = run_inputs.read_pending(conn, flow_run_id)
            if current.state is not StateType.PAUSED or pending is None:
                raise PauseNotPending(
                    f"flow run {flow_run_id} is {current.state.value}, not waiting at a pause "
                    "point; only runs paused by pause_flow_run or suspend_flow_run can be "
                    "resumed."
                )
            if key is not None and key != pending.key:
                raise PauseNotPending(
                    f"flow run {flow_run_id} waits at pause {pending.key!r}, not {key!r}; "
                    "resume it with that key (or none)."
                )
            where = f"pause {pending.key!r} of flow run {flow_run_id}"
            validate_input(value, pending.schema, where)
            run_inputs.close(conn, flow_run_id, pending.key, InputStatus.RESPONDED, now, value)
            target = StateType.RUNNING if pending.kind is PauseKind.PAUSE else StateType.SCHEDULED
            return self.service.transition(conn, current, target, RESUME_MESSAGE, None, False)

    def expire_pause(
        self, flow_run_id: str, key: str, now: datetime, *, epoch: int | None = None
    ) -> RunInputRecord:
        """The waiting process's deadline passed: unless the pause was answered meanwhile,
        close it EXPIRED and move the run back to RUNNING (the flow then sees PauseTimeout).
        Returns the pause point as it ends up."""
        with self.db.writing() as conn:
            current = runs.read_flow_run(conn, flow_run_id, for_update=True)
            if current is None:
                raise flow_run_not_found(flow_run_id)
            if epoch is not None:
                check_epoch(conn, flow_run_id, epoch)
            found = run_inputs.read(conn, flow_run_id, key)
            if found is None:
                raise PauseNotPending(
                    f"flow run {flow_run_id} has no pause point {key!r}; nothing to expire."
                )
            if found.status is not InputStatus.PENDING:
                return found
            run_inputs.close(conn, flow_run_id, key, InputStatus.EXPIRED, now)
            if current.state is StateType.PAUSED:
                self.service.transition(
                    conn, current, StateType.RUNNING, PAUSE_TIMEOUT_MESSAGE, None, False
                )
            expired = run_inputs.read(conn, flow_run_id, key)
            assert expired is not None
            return expired

    def read_run_input(self, flow_run_id: str, key: str | None) -> RunInputRecord | None:
        """A run's pause point by key, or (key None) the one it waits at now."""
        with self.db.reading() as conn:
            if key is not None:
                return run_inputs.read(conn, flow_run_id, key)
            # A cancelled or failed run may leave its pause point pending: it waits no more.
            run = runs.read_flow_run(conn, flow_run_id)
            if run is None or run.state is not StateType.PAUSED:
                return None
            return run_inputs.read_pending(conn, flow_run_id)

    def fail_overdue(self, now: datetime) -> list[str]:
        """Fail every suspended run whose deadline passed unanswered; return their ids.
        (A waiting process enforces its own deadline; if it died, its lease expires.)"""
        failed = []
        with self.db.writing() as conn:
            for record in run_inputs.overdue(conn, now, PauseKind.SUSPEND):
                # The run's row is locked before its pause point, as resume does.
                current = runs.read_flow_run(conn, record.flow_run_id, for_update=True)
                still = run_inputs.read(conn, record.flow_run_id, record.key)
                if still is None or still.status is not InputStatus.PENDING:
                    continue
                run_inputs.close(conn, record.flow_run_id, record.key, InputStatus.EXPIRED, now)
                if current is None or current.state is not StateType.PAUSED:
                    continue
                self.service.transition(
                    conn, current, StateType.FAILED, expired_message(record), None, False
                )
                failed.append(record.flow_run_id)
        return failed
