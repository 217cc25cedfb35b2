"""What a worker hands a warm-forked run's process: the claimed record and pinned version
survive the trip as one line of text; anything else is refused with the fix."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from legato.core.records import FlowRunRecord, FlowVersionRecord
from legato.core.states import StateType as S
from legato.errors import ParameterError
from legato.workers.execute import decode_start, encode_start

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


@pytest.mark.parametrize("text", ["not base64 at all!", "e30=", "bnVsbA=="])
def test_anything_else_is_refused_with_the_fix(text: str) -> None:
    with pytest.raises(ParameterError, match="same Legato installation"):
        decode_start(text)
