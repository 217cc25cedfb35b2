"""The run process's lean encoders and decoders (`legato.client.lean_wire`) against the
server's wire models: every body they write validates as the model the server reads it with
and means the same, and every response they read decodes to what the model path decodes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import httpx
import orjson
import pytest

from legato._clock import FakeClock
from legato.client import lean_wire
from legato.client.http import HttpBackend
from legato.core.records import (
    ArtifactRow,
    Edge,
    Fence,
    FlowRunEnding,
    FlowRunRecord,
    LogRow,
    ResultRef,
    StateEvent,
    TaskRunRecord,
    TaskRunRow,
    WriteBatch,
)
from legato.core.states import StateType as S
from legato.errors import ConfigError, ParameterError
from legato.schemas.api import (
    CacheEntryModel,
    CacheWriteBody,
    SetStateBody,
    TaskRunPage,
)
from legato.schemas.limits import LimitedTagsModel
from legato.schemas.records import (
    FlowRunModel,
    ResultRefModel,
    TaskRunModel,
    WriteBatchModel,
)

T0 = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)
T1 = datetime(2026, 3, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))  # not UTC on purpose
INLINE = ResultRef("json", "inline", b'{"rows": [1, 2]}\x00\xff')
STORED = ResultRef("pickle", "store", None, "results/ab/cd.pkl")


def task_row(is_new: bool, result: ResultRef | None) -> TaskRunRow:
    return TaskRunRow("t1", "r1", "extract-1", "extract", None if is_new else 3, S.COMPLETED,
                      "done", 2, T0, T1, T0, None if is_new else T1, result,
                      None if is_new else "key-1", None if is_new else "r2", is_new)


def full_batch() -> WriteBatch:
    return WriteBatch(
        task_runs=[task_row(True, INLINE), task_row(False, STORED), task_row(False, None)],
        events=[StateEvent("t1", "task", None, S.PENDING, T0),
                StateEvent("r1", "flow", S.RUNNING, S.FAILED, T1, "boom", True)],
        logs=[LogRow("r1", None, 20, "legato.flow", "started é", T0),
              LogRow("r1", "t1", 40, "user", "***", T1)],
        edges=[Edge("r1", "t1", "t2")],
        fence=Fence("r1", 7),
        artifacts=[ArtifactRow("a1", "r1", "t1", "report", "table", "rows",
                               [{"a": 1, "b": [1.5, None, True]}], T0),
                   ArtifactRow("a2", "r1", None, None, "markdown", None, "# hi", T1)],
        ending=FlowRunEnding("r1", S.COMPLETED, "ok", INLINE),
    )


@pytest.mark.parametrize("batch", [
    full_batch(),
    WriteBatch(logs=[LogRow("r1", None, 20, "x", "y", T0)]),
    WriteBatch(ending=FlowRunEnding("r1", S.CANCELLED), fence=Fence("r1", 0)),
], ids=["everything", "one-log", "bare-ending"])
def test_a_lean_write_batch_is_the_model_the_server_reads(batch: WriteBatch) -> None:
    body = lean_wire.encode_write_batch(batch)
    read = WriteBatchModel.model_validate_json(body)
    assert read == WriteBatchModel.from_record(batch)
    assert read.to_record() == batch


@pytest.mark.parametrize("result", [None, INLINE, STORED])
@pytest.mark.parametrize("epoch", [None, 0, 12])
def test_a_lean_state_change_is_the_model_the_server_reads(
    result: ResultRef | None, epoch: int | None
) -> None:
    body = lean_wire.encode_set_state(S.COMPLETED, "fine", result, False, epoch, "change")
    expected = SetStateBody(state=S.COMPLETED, message="fine", force=False, epoch=epoch,
                            result=None if result is None else ResultRefModel.from_record(result))
    assert SetStateBody.model_validate_json(body) == expected
    forced = lean_wire.encode_set_state("FAILED", None, None, True, None, "change")  # type: ignore[arg-type]
    assert SetStateBody.model_validate_json(forced) == SetStateBody(state=S.FAILED, force=True)


@pytest.mark.parametrize("expires", [None, T1])
def test_a_lean_cache_write_is_the_model_the_server_reads(expires: datetime | None) -> None:
    body = lean_wire.encode_cache_write("key-1", INLINE, expires)
    expected = CacheWriteBody(key="key-1", result=ResultRefModel.from_record(INLINE),
                              expires=expires)
    assert CacheWriteBody.model_validate_json(body) == expected


def flow_runs() -> list[FlowRunRecord]:
    return [
        FlowRunRecord("r1", "etl", "bold-wren", {}, S.PENDING, None, T0, T0, None, None, 0),
        FlowRunRecord("r2", "etl", "calm-owl", {"n": [1, {"x": None}], "s": "é"}, S.COMPLETED,
                      "done", T0, T1, T0, T1, 3, "v1", "flows.py:etl", ("a", "b"), "r1", "t1",
                      INLINE, "d1", T1),
        FlowRunRecord("r3", "etl", "n", {}, S.FAILED, "x", T0, T0, T0, T0, 1, result=STORED),
    ]


@pytest.mark.parametrize("record", flow_runs(), ids=["bare", "everything", "stored-result"])
def test_a_flow_run_decodes_as_the_model_decodes_it(record: FlowRunRecord) -> None:
    wire = FlowRunModel.from_record(record).model_dump_json().encode()
    decoded = lean_wire.flow_run(lean_wire.decode(wire))
    assert decoded == FlowRunModel.model_validate_json(wire).to_record()
    assert decoded.created.tzinfo is UTC and decoded.end_time in (None, T0, T1)


def test_a_task_run_page_decodes_as_the_model_decodes_it() -> None:
    records = [TaskRunRecord("t1", "r1", "a-1", "a", None, S.PENDING, None, 0, T0, T0, None,
                             None),
               TaskRunRecord("t2", "r1", "b-1[3]", "b", 3, S.COMPLETED, "ok", 2, T0, T1, T0,
                             T1, INLINE, "key", "r9")]
    for next_offset in (None, 500):
        wire = TaskRunPage(items=[TaskRunModel.from_record(r) for r in records],
                           next_offset=next_offset).model_dump_json().encode()
        items, offset = lean_wire.task_run_page(lean_wire.decode(wire))
        model = TaskRunPage.model_validate_json(wire)
        assert items == [item.to_record() for item in model.items] == records
        assert offset == model.next_offset == next_offset


@pytest.mark.parametrize("result", [None, INLINE, STORED])
def test_a_cache_entry_decodes_as_the_model_decodes_it(result: ResultRef | None) -> None:
    model = CacheEntryModel(result=None if result is None else ResultRefModel.from_record(result))
    wire = model.model_dump_json().encode()
    assert lean_wire.cache_entry(lean_wire.decode(wire)) == result


def test_limited_tags_decode_as_the_model_decodes_them() -> None:
    wire = LimitedTagsModel(tags=["db", "gpu"]).model_dump_json().encode()
    assert lean_wire.limited_tags(lean_wire.decode(wire)) == {"db", "gpu"}


def test_values_that_cannot_travel_are_refused_before_sending() -> None:
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(500)

    backend = HttpBackend("http://api.test", clock=FakeClock(),
                          transport=httpx.MockTransport(answer))
    bad = WriteBatch(artifacts=[ArtifactRow("a1", "r1", None, None, "table", None,
                                            [object()], T0)])
    with pytest.raises(ParameterError, match=r"write batch .*cannot be sent as JSON"):
        backend.write(bad)
    with pytest.raises(ParameterError, match="not one; pass a StateType"):
        backend.set_flow_run_state("r1", "DONE")  # type: ignore[arg-type]
    assert sent == []


@pytest.mark.parametrize("answer", [
    b"not json", b"[]", b'{"id": 1}',
    orjson.dumps({**orjson.loads(FlowRunModel.from_record(flow_runs()[0]).model_dump_json()),
                  "created": "2026-03-01T12:00:00"}),  # no time zone
    orjson.dumps({**orjson.loads(FlowRunModel.from_record(flow_runs()[1]).model_dump_json()),
                  "result": {"serializer": "json", "storage": "inline", "data": "%%"}}),
])
def test_a_response_the_lean_path_cannot_read_is_a_version_mismatch(answer: bytes) -> None:
    backend = HttpBackend("http://api.test", clock=FakeClock(),
                          transport=httpx.MockTransport(lambda r: httpx.Response(200, content=answer)))
    with pytest.raises(ConfigError, match="same Legato version"):
        backend.read_flow_run("r1")
