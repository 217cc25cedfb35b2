"""Queries for flow runs: insert, read, list newest-first, and apply a state change that the
orchestration service has already validated."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, Select, bindparam, exc, select, update

from legato.core.records import FlowRunRecord, NewFlowRun, ResultRef
from legato.core.states import StateType
from legato.errors import ParameterError
from legato.store.tables import NaiveDatetimeError, deployments, flow_runs, flows
from legato.store.wakeups import mark_claimable

FLOW_RUN_COLUMNS = (*flow_runs.c, flows.c.name.label("flow_name"))


def result_ref(
    serializer: str | None, storage: str | None, data: Any, path: Any
) -> ResultRef | None:
    """A ResultRef from the four result columns, or None when no result is stored."""
    if serializer is None or storage is None:
        return None
    return ResultRef(
        serializer=serializer,
        storage=storage,
        data=bytes(data) if data is not None else None,
        path=path,
    )


def result_values(result: ResultRef | None) -> dict[str, Any]:
    """The four result columns for a ResultRef (all None for no result)."""
    if result is None:
        return {
            "result_serializer": None,
            "result_storage": None,
            "result_data": None,
            "result_path": None,
        }
    return {
        "result_serializer": result.serializer,
        "result_storage": result.storage,
        "result_data": result.data,
        "result_path": result.path,
    }


def flow_run_record(row: Row[Any]) -> FlowRunRecord:
    """The record of a row selected with FLOW_RUN_COLUMNS."""
    return FlowRunRecord(
        id=row.id,
        flow_name=row.flow_name,
        name=row.name,
        parameters=row.parameters,
        state=StateType(row.state),
        state_message=row.state_message,
        created=row.created,
        updated=row.updated,
        start_time=row.start_time,
        end_time=row.end_time,
        run_count=row.run_count,
        flow_version_id=row.flow_version_id,
        entrypoint=row.entrypoint,
        tags=tuple(row.tags),
        parent_flow_run_id=row.parent_flow_run_id,
        parent_task_run_id=row.parent_task_run_id,
        result=result_ref(
            row.result_serializer, row.result_storage, row.result_data, row.result_path
        ),
        deployment_id=row.deployment_id,
        scheduled_time=row.scheduled_time,
    )


def select_flow_runs() -> Select[Any]:
    """Flow runs joined with their flow's name, selecting FLOW_RUN_COLUMNS."""
    return select(*FLOW_RUN_COLUMNS).join(flows, flows.c.id == flow_runs.c.flow_id)


def insert_flow_run(
    conn: Connection,
    new: NewFlowRun,
    *,
    flow_id: str,
    start_time: datetime | None,
    end_time: datetime | None,
    run_count: int,
) -> None:
    """Insert a flow run; the caller has computed its timing fields.

    Raises ParameterError when the parameters or tags cannot be stored as JSON."""
    try:
        _insert(conn, new, flow_id, start_time, end_time, run_count)
        if new.state is StateType.SCHEDULED:
            mark_claimable(conn)
    except (exc.StatementError, TypeError, ValueError) as error:
        # SQLite's JSON type fails while binding (StatementError); psycopg's JSON adapter
        # raises TypeError itself while executing.
        cause = error.orig if isinstance(error, exc.StatementError) else error
        if not isinstance(cause, (TypeError, ValueError)) or isinstance(cause, NaiveDatetimeError):
            raise
        raise ParameterError(
            f"parameters of flow run {new.id} cannot be stored as JSON ({cause}); "
            "pass JSON-compatible values (str, int, float, bool, None, lists, dicts)."
        ) from error


def _insert(
    conn: Connection,
    new: NewFlowRun,
    flow_id: str,
    start_time: datetime | None,
    end_time: datetime | None,
    run_count: int,
) -> None:
    conn.execute(
        flow_runs.insert(),
        {
            "id": new.id,
            "flow_id": flow_id,
            "flow_version_id": new.flow_version_id,
            "name": new.name,
            "parameters": new.parameters,
            "state": new.state.value,
            "state_message": new.state_message,
            "created": new.created,
            "updated": new.created,
            "start_time": start_time,
            "end_time": end_time,
            "run_count": run_count,
            "entrypoint": new.entrypoint,
            "tags": list(new.tags),
            "parent_flow_run_id": new.parent_flow_run_id,
            "parent_task_run_id": new.parent_task_run_id,
            **result_values(None),
        },
    )


def flow_run_exists(conn: Connection, flow_run_id: str) -> bool:
    """Whether a flow run with this id is stored."""
    return (
        conn.execute(select(flow_runs.c.id).where(flow_runs.c.id == flow_run_id)).first()
        is not None
    )


def read_flow_run(
    conn: Connection, flow_run_id: str, *, for_update: bool = False
) -> FlowRunRecord | None:
    """A flow run, or None. `for_update` locks the row until the transaction ends (PostgreSQL;
    SQLite writers are already serialized)."""
    query = select_flow_runs().where(flow_runs.c.id == flow_run_id)
    if for_update and conn.dialect.name == "postgresql":
        query = query.with_for_update(of=flow_runs)
    row = conn.execute(query).one_or_none()
    return None if row is None else flow_run_record(row)


def read_flow_runs(conn: Connection, flow_run_ids: Sequence[str]) -> list[FlowRunRecord]:
    """The flow runs of these ids that exist, in one query per 500 ids (order not kept)."""
    found: list[FlowRunRecord] = []
    for start in range(0, len(flow_run_ids), 500):
        chunk = list(flow_run_ids[start:start + 500])
        query = select_flow_runs().where(flow_runs.c.id.in_(chunk))
        found.extend(flow_run_record(row) for row in conn.execute(query))
    return found


@dataclass(frozen=True, slots=True)
class LockedRun:
    """A flow run read for a state change, with its lease epoch and its origin (flow name,
    deployment id and name: None for a run made without a deployment or whose deployment
    was deleted), which the run's event needs."""

    record: FlowRunRecord
    epoch: int
    origin: tuple[str, str | None, str | None]


# Statements on the path of every run are built once: SQLAlchemy then skips building them
# and walking them for their compiled-cache key on each execution, which for a select of
# every run column costs more than running it.
_RUNS_TO_CLAIM = (
    select(*FLOW_RUN_COLUMNS, flow_runs.c.lease_epoch,
           deployments.c.id.label("origin_deployment_id"),
           deployments.c.name.label("origin_deployment_name"))
    .join(flows, flows.c.id == flow_runs.c.flow_id)
    .outerjoin(deployments, deployments.c.id == flow_runs.c.deployment_id)
    .where(flow_runs.c.id.in_(bindparam("b_ids", expanding=True)))
)
_RUNS_TO_CLAIM_LOCKED = _RUNS_TO_CLAIM.with_for_update(of=flow_runs)


def read_runs_to_claim(conn: Connection, flow_run_ids: Sequence[str]) -> dict[str, LockedRun]:
    """Each of these flow runs (by id) with its lease epoch and origin, locked until the
    transaction ends on PostgreSQL; one query for a claim's few runs (or the run a write
    batch ends), which also saves the state change's event a lookup of its origin."""
    query = _RUNS_TO_CLAIM_LOCKED if conn.dialect.name == "postgresql" else _RUNS_TO_CLAIM
    return {
        row.id: LockedRun(flow_run_record(row), int(row.lease_epoch or 0),
                          (row.flow_name, row.origin_deployment_id, row.origin_deployment_name))
        for row in conn.execute(query, {"b_ids": list(flow_run_ids)})
    }


_WRITE_CLAIMED = update(flow_runs).where(flow_runs.c.id == bindparam("b_id")).values(
    state=bindparam("b_state"), state_message=bindparam("b_message"),
    updated=bindparam("b_updated"), start_time=bindparam("b_start"),
    end_time=bindparam("b_end"), run_count=bindparam("b_count"),
    lease_epoch=bindparam("b_epoch"))


def write_claimed_runs(conn: Connection, claimed: Sequence[tuple[FlowRunRecord, int]]) -> None:
    """Store the state, timing and new lease epoch of claimed runs in one statement."""
    if not claimed:
        return
    conn.execute(_WRITE_CLAIMED, [
        {"b_id": run.id, "b_state": run.state.value, "b_message": run.state_message,
         "b_updated": run.updated, "b_start": run.start_time, "b_end": run.end_time,
         "b_count": run.run_count, "b_epoch": epoch}
        for run, epoch in claimed
    ])


def list_flow_runs(
    conn: Connection,
    *,
    flow_name: str | None,
    states: Sequence[StateType] | None,
    parent_flow_run_id: str | None,
    limit: int,
    offset: int,
) -> list[FlowRunRecord]:
    """Flow runs matching every given filter, newest first (ties broken by id).

    None or an empty `states` means any state (a CLI with no --state option passes ())."""
    query = select_flow_runs()
    if flow_name is not None:
        query = query.where(flows.c.name == flow_name)
    if states:
        query = query.where(flow_runs.c.state.in_([s.value for s in states]))
    if parent_flow_run_id is not None:
        query = query.where(flow_runs.c.parent_flow_run_id == parent_flow_run_id)
    query = query.order_by(flow_runs.c.created.desc(), flow_runs.c.id.desc())
    query = query.limit(limit).offset(offset)
    return [flow_run_record(row) for row in conn.execute(query)]


_SET_STATE = update(flow_runs).where(flow_runs.c.id == bindparam("b_id")).values(
    state=bindparam("b_state"), state_message=bindparam("b_message"),
    updated=bindparam("b_updated"), start_time=bindparam("b_start"),
    end_time=bindparam("b_end"), run_count=bindparam("b_count"))
_SET_STATE_AND_RESULT = _SET_STATE.values(
    result_serializer=bindparam("b_serializer"), result_storage=bindparam("b_storage"),
    result_data=bindparam("b_data"), result_path=bindparam("b_path"))


def update_flow_run_state(
    conn: Connection,
    flow_run_id: str,
    *,
    state: StateType,
    message: str | None,
    updated: datetime,
    start_time: datetime | None,
    end_time: datetime | None,
    run_count: int,
    result: ResultRef | None,
) -> None:
    """Write a validated state change; a None `result` keeps the stored one."""
    values = {
        "b_id": flow_run_id, "b_state": state.value, "b_message": message,
        "b_updated": updated, "b_start": start_time, "b_end": end_time, "b_count": run_count,
    }
    if result is None:
        conn.execute(_SET_STATE, values)
    else:
        conn.execute(_SET_STATE_AND_RESULT, {
            **values, "b_serializer": result.serializer, "b_storage": result.storage,
            "b_data": result.data, "b_path": result.path,
        })
    if state is StateType.SCHEDULED:
        mark_claimable(conn)
