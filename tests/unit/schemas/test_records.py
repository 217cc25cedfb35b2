"""Wire models round-trip every record through JSON unchanged: bytes as base64, timestamps
as aware instants in UTC; hostile values (naive times, bad ids, unknown states) are refused."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone

import orjson
import pytest
from pydantic import BaseModel, ValidationError

from legato.core.records import (
    Edge,
    FlowRunRecord,
    FlowVersionRecord,
    LogRecord,
    LogRow,
    NewFlowRun,
    ResultRef,
    StateEvent,
    StateEventRecord,
    TaskRunRecord,
    TaskRunRow,
    WriteBatch,
)
from legato.core.states import StateType as S
from legato.schemas.records import (
    FlowRunModel,
    FlowVersionModel,
    LogModel,
    NewFlowRunModel,
    ResultRefModel,
    StateEventModel,
    StateEventRecordModel,
    TaskRunModel,
    WriteBatchModel,
)

T0 = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
PLUS_TWO = timezone(timedelta(hours=2))
PICKLE_BYTES = bytes(range(256))  # not UTF-8, includes NUL
ID = "01a20158-53ca-7001-8001-0a98012f9f88"
ID2 = "01a20158-53ca-7001-8001-0a98012f9f89"


def through_json(model: BaseModel) -> BaseModel:
    return type(model).model_validate_json(model.model_dump_json())


def task_record(**changes: object) -> TaskRunRecord:
    fields: dict[str, object] = {
        "id": ID,
        "flow_run_id": ID2,
        "task_key": "transform-0[3]",
        "task_name": "transform",
        "map_index": 3,
        "state": S.COMPLETED,
        "state_message": "ok",
        "attempts": 2,
        "created": T0,
        "updated": T0 + timedelta(seconds=1),
        "start_time": T0,
        "end_time": T0 + timedelta(seconds=1),
        "result": ResultRef("pickle", "inline", data=PICKLE_BYTES),
        "cache_key": "ck",
        "child_flow_run_id": None,
    }
    fields.update(changes)
    return TaskRunRecord(**fields)  # type: ignore[arg-type]


def test_inline_result_bytes_travel_as_base64_and_come_back_identical() -> None:
    ref = ResultRef("pickle", "inline", data=PICKLE_BYTES)
    payload = orjson.loads(ResultRefModel.from_record(ref).model_dump_json())
    assert payload["data"] == base64.b64encode(PICKLE_BYTES).decode()
    assert ResultRefModel.model_validate(payload).to_record() == ref


def test_stored_result_round_trips_as_a_path() -> None:
    ref = ResultRef("json", "store", path="results/ab/cd.json")
    assert (
        ResultRefModel.model_validate_json(
            ResultRefModel.from_record(ref).model_dump_json()
        ).to_record()
        == ref
    )


def test_data_that_is_not_base64_is_refused() -> None:
    with pytest.raises(ValidationError, match="base64"):
        ResultRefModel.model_validate_json('{"serializer":"pickle","storage":"inline","data":"%%"}')


def test_unknown_result_storage_is_refused() -> None:
    with pytest.raises(ValidationError, match="storage"):
        ResultRefModel.model_validate({"serializer": "json", "storage": "s3"})


def test_flow_run_round_trips_every_field_and_returns_utc_instants() -> None:
    record = FlowRunRecord(
        id=ID,
        flow_name="etl",
        name="brave-otter",
        parameters={"n": 1, "nested": {"xs": [1, 2.5, "three", None]}},
        state=S.RUNNING,
        state_message=None,
        created=T0.astimezone(PLUS_TWO),
        updated=T0,
        start_time=T0,
        end_time=None,
        run_count=1,
        flow_version_id=ID2,
        entrypoint="etl.py:etl",
        tags=("nightly", "team-a"),
        parent_flow_run_id=None,
        parent_task_run_id=ID2,
        result=ResultRef("json", "inline", data=b"42"),
    )
    back = FlowRunModel.model_validate_json(FlowRunModel.from_record(record).model_dump_json())
    stored = back.to_record()
    assert stored == record
    assert stored.created.utcoffset() == timedelta(0)
    assert stored.tags == ("nightly", "team-a")


def test_new_flow_run_and_flow_version_round_trip() -> None:
    new = NewFlowRun(ID, "etl", "otter", {"a": [1]}, S.SCHEDULED, T0, tags=("x",))
    assert NewFlowRunModel.from_record(new).to_record() == new
    assert through_json(NewFlowRunModel.from_record(new)) == NewFlowRunModel.from_record(new)
    version = FlowVersionRecord(ID, "etl", "abc", "def etl(): ...\n", None, T0)
    model = FlowVersionModel.from_record(version)
    assert FlowVersionModel.model_validate_json(model.model_dump_json()).to_record() == version


def test_task_run_round_trips_with_a_binary_result() -> None:
    record = task_record()
    model = TaskRunModel.model_validate_json(TaskRunModel.from_record(record).model_dump_json())
    assert model.to_record() == record


def test_state_events_and_logs_round_trip() -> None:
    event = StateEventRecord(7, ID, "task", None, S.PENDING, T0, "created", False)
    assert (
        StateEventRecordModel.model_validate_json(
            StateEventRecordModel.from_stored(event).model_dump_json()
        ).to_stored()
        == event
    )
    line = LogRecord(3, ID2, ID, 20, "legato.task", "hello ✓", T0)
    assert (
        LogModel.model_validate_json(LogModel.from_stored(line).model_dump_json()).to_stored()
        == line
    )


def test_write_batch_round_trips_rows_events_logs_and_edges() -> None:
    row = TaskRunRow(
        ID, ID2, "t-0", "t", None, S.RUNNING, None, 1, T0, T0, T0, None, None, None, None, True
    )
    batch = WriteBatch(
        task_runs=[row],
        events=[StateEvent(ID, "task", S.PENDING, S.RUNNING, T0, forced=True)],
        logs=[LogRow(ID2, None, 10, "l", "m", T0)],
        edges=[Edge(ID2, ID, ID2)],
    )
    model = WriteBatchModel.from_record(batch)
    assert WriteBatchModel.model_validate_json(model.model_dump_json()).to_record() == batch


def test_naive_timestamps_are_refused() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        StateEventModel(
            run_id=ID,
            run_kind="task",
            from_state=None,
            to_state=S.RUNNING,
            timestamp=datetime(2026, 1, 1),  # naive on purpose
        )


@pytest.mark.parametrize("bad_id", ["", "x" * 37, "../etc/passwd", "a b", "ü"])
def test_ids_must_be_short_and_plain(bad_id: str) -> None:
    with pytest.raises(ValidationError, match="id"):
        TaskRunModel.from_record(task_record(id=bad_id))


def test_unknown_state_names_and_extra_fields_are_refused() -> None:
    payload = orjson.loads(TaskRunModel.from_record(task_record()).model_dump_json())
    with pytest.raises(ValidationError, match="state"):
        TaskRunModel.model_validate({**payload, "state": "EXPLODED"})
    with pytest.raises(ValidationError, match="surprise"):
        TaskRunModel.model_validate({**payload, "surprise": 1})


def test_overlong_strings_and_negative_counts_are_refused() -> None:
    with pytest.raises(ValidationError, match="task_key"):
        TaskRunModel.from_record(task_record(task_key="k" * 513))
    with pytest.raises(ValidationError, match="attempts"):
        TaskRunModel.from_record(task_record(attempts=-1))
