"""Wire models of the read views the web UI uses (runs list pages, run graph, deployment
grid, task durations, comparison), and the opaque keyset cursor of the runs list."""

from __future__ import annotations

import base64
import binascii
import re
from datetime import UTC, datetime
from typing import Any

from pydantic import Field

from legato.core.states import StateType
from legato.errors import ParameterError
from legato.schemas.fields import ID_PATTERN, Count, Id, Key, Name, Timestamp
from legato.schemas.records import ArtifactModel, WireModel

_CURSOR_SEPARATOR = "|"


def encode_cursor(created: datetime, run_id: str) -> str:
    """The opaque cursor after the run (created, id): URL-safe base64 text."""
    raw = f"{created.astimezone(UTC).isoformat()}{_CURSOR_SEPARATOR}{run_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """(created, id) of a cursor made by `encode_cursor`; ParameterError naming `cursor`."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.urlsafe_b64decode(padded.encode("ascii")).decode()
        created_text, run_id = text.split(_CURSOR_SEPARATOR)
        created = datetime.fromisoformat(created_text)
        if created.tzinfo is None or re.fullmatch(ID_PATTERN, run_id) is None:
            raise ValueError(text)
    except (ValueError, UnicodeError, binascii.Error):
        raise ParameterError(
            "query parameter cursor is not a cursor this server made; pass the next_cursor "
            "of the previous page, or leave it out for the first page.",
            [("cursor", "not a cursor of this API")],
        ) from None
    return created.astimezone(UTC), run_id


class GraphTaskModel(WireModel):
    """One task run as a node of the run graph."""

    id: Id
    task_key: Key
    name: Name
    state: StateType
    start: Timestamp | None
    end: Timestamp | None
    map_index: Count | None
    parent_task_key: Key | None
    subflow_run_id: Id | None
    attempts: Count


class GraphModel(WireModel):
    """Every task run of a flow run and its dependencies as [upstream id, downstream id]."""

    flow_run_id: Id
    tasks: list[GraphTaskModel]
    edges: list[tuple[Id, Id]]


class RunColumnModel(WireModel):
    """A run heading a column of the grid, the duration chart or a comparison."""

    id: Id
    name: Name
    flow_name: Name
    state: StateType
    created: Timestamp
    start: Timestamp | None
    end: Timestamp | None
    duration: float | None


class GridModel(WireModel):
    """Recent runs (oldest first) x task keys (first seen first); `cells[i][j]` is
    [state, seconds] of task j in run i, or null where the run has no such task."""

    runs: list[RunColumnModel]
    tasks: list[Key]
    cells: list[list[tuple[StateType, float | None] | None]]


class TaskDurationSeries(WireModel):
    """A task's duration in each run of the chart (null: not run, or not ended)."""

    task_key: Key
    durations: list[float | None]


class TaskDurationsModel(WireModel):
    """Durations of each task across runs (oldest run first)."""

    runs: list[RunColumnModel]
    tasks: list[TaskDurationSeries]


class ParameterRow(WireModel):
    """One parameter's value in each compared run (null where absent)."""

    name: str
    values: list[Any]


class TaskComparison(WireModel):
    """One task's state and duration in each compared run."""

    task_key: Key
    states: list[StateType | None]
    durations: list[float | None]


class CompareModel(WireModel):
    """Runs side by side: their parameters, results and each task's state and duration."""

    runs: list[RunColumnModel]
    parameters: list[ParameterRow]
    tasks: list[TaskComparison]
    results: list[Any] = Field(default_factory=list)


class ArtifactPage(WireModel):
    """Artifacts of a run (oldest first) or of a key (newest first)."""

    items: list[ArtifactModel]
