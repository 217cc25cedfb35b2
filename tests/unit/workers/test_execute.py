"""What a worker hands a run's process: the claimed record and pinned version survive the
trip as one line of text (a warm fork's command, or a pipe a subprocess inherits); anything
else is refused with the fix."""

from __future__ import annotations

import dataclasses
import os
from datetime import UTC, datetime, timedelta, timezone

import pytest

from legato.core.records import FlowRunRecord, FlowVersionRecord, ResultRef
from legato.core.states import StateType as S
from legato.errors import ParameterError
from legato.workers import execute as execute_module
from legato.workers.handover import decode_start, encode_start

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
VERSION_ID = "01a20000-0000-7000-8000-00000000000f"
RUN = FlowRunRecord(
    id="01a20000-0000-7000-8000-000000000001", flow_name="etl", name="bold-wren",
    parameters={"day": "2026-03-01", "rows": [1, 2]}, state=S.PENDING,
    state_message="claimed by worker w1", created=T0, updated=T0, start_time=None,
    end_time=None, run_count=0, flow_version_id=VERSION_ID, entrypoint="flows.py:etl",
    tags=("nightly",), deployment_id="01a20000-0000-7000-8000-0000000000d1", scheduled_time=T0)
VERSION = FlowVersionRecord(
    id=VERSION_ID, flow_name="etl", source_hash="abc",
    source="from legato import flow\n\n\n@flow\ndef etl() -> None: ...\n",
    entrypoint="flows.py:etl", created=T0)


@pytest.mark.parametrize("version", [VERSION, None], ids=["pinned", "unpinned"])
def test_the_claimed_record_and_version_survive_the_trip(
    version: FlowVersionRecord | None
) -> None:
    text = encode_start(RUN, version)
    assert "\n" not in text and " " not in text  # one word of the warm parent's protocol
    assert decode_start(text) == (RUN, version)


def test_a_result_and_a_time_zone_survive_the_trip() -> None:
    ended = dataclasses.replace(
        RUN, result=ResultRef("pickle", "inline", data=b"\x80\x05K\x01."),
        start_time=datetime(2026, 3, 1, 13, 0, tzinfo=timezone(timedelta(hours=2))))
    assert decode_start(encode_start(ended, None)) == (ended, None)


@pytest.mark.parametrize("text", ["not base64 at all!", "e30=", "bnVsbA==", "eyJydW4iOjEsInZlcnNpb24iOm51bGx9"])
def test_anything_else_is_refused_with_the_fix(text: str) -> None:
    with pytest.raises(ParameterError, match="same Legato installation"):
        decode_start(text)


def _record_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[object, ...]]:
    calls: list[tuple[object, ...]] = []

    def run_prefetched(flow_run_id: str, epoch: int, start: str) -> int:
        calls.append(("prefetched", flow_run_id, epoch, start))
        return 0

    def execute(flow_run_id: str, epoch: int) -> int:
        calls.append(("read", flow_run_id, epoch))
        return 0

    monkeypatch.setattr(execute_module, "run_prefetched", run_prefetched)
    monkeypatch.setattr(execute_module, "execute", execute)
    return calls


def test_main_runs_with_the_hand_over_read_from_the_named_descriptor(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _record_calls(monkeypatch)
    read, write = os.pipe()
    os.write(write, encode_start(RUN, VERSION).encode())
    os.close(write)
    assert execute_module.main([RUN.id, "4", "--start-fd", str(read)]) == 0
    assert calls == [("prefetched", RUN.id, 4, encode_start(RUN, VERSION))]
    with pytest.raises(OSError):  # read to its end and closed
        os.fstat(read)


def test_main_reads_the_run_itself_when_the_descriptor_cannot_be_read(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _record_calls(monkeypatch)
    read, write = os.pipe()
    os.close(read)
    os.close(write)
    assert execute_module.main([RUN.id, "4", "--start-fd", str(read)]) == 0
    assert calls == [("read", RUN.id, 4)]


@pytest.mark.parametrize("argv", [[], ["r1"], ["r1", "x"], ["r1", "1", "--start-fd"],
                                  ["r1", "1", "--other", "3"], ["r1", "1", "--start-fd", "x"]])
def test_main_refuses_other_command_lines_with_its_usage(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = _record_calls(monkeypatch)
    assert execute_module.main(argv) == 2
    assert calls == [] and "usage:" in capsys.readouterr().err
