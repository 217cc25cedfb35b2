"""Artifacts: tables, markdown and links a flow or task records for people, shown with its run
in the UI (`legato.create_table_artifact` and friends, shaped as in Prefect 3). They travel
with the run's other writes through the recorder."""

from __future__ import annotations

import re
from typing import Any

from legato.core.ids import new_id
from legato.core.records import ArtifactRow
from legato.engine.context import current_flow_run, current_task_run
from legato.engine.masking import mask_json
from legato.errors import DefinitionError, ParameterError

KEY_PATTERN = re.compile(r"^[a-z0-9-]{1,255}$")
MAX_ARTIFACT_BYTES = 1024 * 1024


def _check_key(key: str | None, what: str) -> None:
    if key is not None and not KEY_PATTERN.match(key):
        raise ParameterError(
            f"{what} got key {key!r}; artifact keys are 1-255 lowercase letters, digits and "
            "dashes, such as 'daily-report'.",
            [("key", "lowercase letters, digits and dashes")],
        )


def _check_size(data: Any, what: str) -> None:
    import orjson

    try:
        size = len(orjson.dumps(data))
    except TypeError as error:
        raise ParameterError(
            f"{what} cannot be stored as JSON ({error}); pass str, int, float, bool, None, "
            "lists and dicts.",
            [("data", "not JSON")],
        ) from None
    if size > MAX_ARTIFACT_BYTES:
        raise ParameterError(
            f"{what} is {size:,} bytes as JSON, over the {MAX_ARTIFACT_BYTES:,}-byte limit; "
            "store big data as a result and link to it instead.",
            [("data", "too large")],
        )


def _record(kind: str, data: Any, key: str | None, description: str | None) -> str:
    what = f"create_{kind}_artifact"
    flow = current_flow_run()
    if flow is None:
        raise DefinitionError(
            f"{what} was called outside a flow run; call it inside a @flow or @task."
        )
    _check_key(key, what)
    _check_size(data, what)
    task = current_task_run()
    artifact_id = new_id()
    flow.recorder.artifact(
        ArtifactRow(
            id=artifact_id,
            flow_run_id=flow.flow_run.id,
            task_run_id=task.task_run.id if task is not None else None,
            key=key,
            kind=kind,
            description=description,
            data=mask_json(data),
            created=flow.clock.now(),
        )
    )
    return artifact_id


def _table_data(table: Any) -> Any:
    """A list of rows (dicts or lists) or a dict of columns, as JSON-ready lists and dicts."""
    if isinstance(table, dict) and all(isinstance(v, (list, tuple)) for v in table.values()):
        return {str(k): list(v) for k, v in table.items()}
    if isinstance(table, (list, tuple)) and all(isinstance(r, (dict, list, tuple)) for r in table):
        return [dict(r) if isinstance(r, dict) else list(r) for r in table]
    raise ParameterError(
        f"create_table_artifact got a {type(table).__name__}; pass a list of dicts (rows), "
        "a list of lists, or a dict of column lists.",
        [("table", "not a table")],
    )


def create_table_artifact(
    table: Any, key: str | None = None, description: str | None = None
) -> str:
    """Record a table with the current run; returns the artifact's id.

    >>> create_table_artifact([{"city": "Lyon", "rows": 12}], key="load-summary")  # doctest: +SKIP
    """
    return _record("table", _table_data(table), key, description)


def create_markdown_artifact(
    markdown: str, key: str | None = None, description: str | None = None
) -> str:
    """Record a markdown document with the current run; returns the artifact's id.

    >>> create_markdown_artifact("# Report\\n12 rows loaded", key="report")  # doctest: +SKIP
    """
    if not isinstance(markdown, str):
        raise ParameterError(
            f"create_markdown_artifact got a {type(markdown).__name__}; pass the markdown text.",
            [("markdown", "not text")],
        )
    return _record("markdown", markdown, key, description)


def create_link_artifact(
    link: str, link_text: str | None = None, key: str | None = None,
    description: str | None = None,
) -> str:
    """Record a link with the current run; returns the artifact's id.

    >>> create_link_artifact("https://example.com/report", link_text="report")  # doctest: +SKIP
    """
    if not isinstance(link, str) or not link:
        raise ParameterError(
            "create_link_artifact needs the link as non-empty text, such as "
            "'https://example.com/report'.",
            [("link", "not a link")],
        )
    return _record("link", {"link": link, "link_text": link_text}, key, description)
