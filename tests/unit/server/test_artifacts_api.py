"""Artifacts through the write batch and the API, on SQLite and PostgreSQL: listed per flow
run in creation order and by key newest first; a replayed batch stores them once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from legato.core.ids import new_id
from legato.core.records import ArtifactRow, WriteBatch
from legato.schemas.records import WriteBatchModel

from .conftest import VIEWS_T0 as T0
from .conftest import Views
from .views_data import add_run


def artifact(run_id: str, kind: str, data: object, *, key: str | None = None,
             seconds: int = 0) -> ArtifactRow:
    return ArtifactRow(new_id(), run_id, None, key, kind, "about it", data,
                       T0 + timedelta(seconds=seconds))


def test_artifacts_of_a_run_and_by_key(views: Views) -> None:
    first, second = add_run(views.backend), add_run(views.backend)
    table = artifact(first, "table", [{"a": 1}], key="summary")
    note = artifact(first, "markdown", "# hi", seconds=1)
    newer = artifact(second, "table", [{"a": 2}], key="summary", seconds=5)
    views.backend.write(WriteBatch(artifacts=[table, note]))
    views.backend.write(WriteBatch(artifacts=[table, newer]))  # a replay stores `table` once

    listed = views.get_json(f"/flow-runs/{first}/artifacts")["items"]
    assert [(a["id"], a["kind"], a["data"]) for a in listed] == [
        (table.id, "table", [{"a": 1}]), (note.id, "markdown", "# hi")
    ]
    assert listed[0]["key"] == "summary" and listed[0]["description"] == "about it"
    by_key = views.get_json("/artifacts", key="summary")["items"]
    assert [a["id"] for a in by_key] == [newer.id, table.id]
    assert views.api.get("/api/v1/flow-runs/nope/artifacts").status_code == 404


def test_artifacts_cross_the_wire_in_a_write_batch() -> None:
    batch = WriteBatch(artifacts=[
        artifact(new_id(), "link", {"link": "https://example.com", "link_text": None}, key="k")
    ])
    wire = WriteBatchModel.model_validate_json(WriteBatchModel.from_record(batch).model_dump_json())
    assert wire.to_record() == batch
    bad = {"artifacts": [{**wire.artifacts[0].model_dump(mode="json"), "kind": "video"}]}
    with pytest.raises(ValidationError):
        WriteBatchModel.model_validate(bad)
