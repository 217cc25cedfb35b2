"""Artifacts recorded from flows and tasks: tables in every Prefect shape, markdown and links,
tied to their flow run and task run, written with the run's batches; bad input is refused
with an error naming the fix."""

from __future__ import annotations

import pytest

from legato import create_link_artifact, create_markdown_artifact, create_table_artifact, flow, task
from legato.errors import DefinitionError, ParameterError
from legato.testing import InMemoryBackend, legato_test_harness


def test_artifacts_from_a_flow_and_a_task_are_stored_with_their_runs() -> None:
    @task
    def summarize(rows: int) -> str:
        return create_table_artifact([{"city": "Lyon", "rows": rows}], key="load-summary",
                                     description="rows per city")

    @flow
    def report() -> tuple[str, str, str]:
        table = summarize(12)
        text = create_markdown_artifact("# Done\n12 rows", key="report")
        link = create_link_artifact("https://example.com/r", link_text="full report")
        return table, text, link

    with legato_test_harness() as backend:
        assert isinstance(backend, InMemoryBackend)
        state = report(return_state=True)
        table_id, text_id, link_id = state.result()
    stored = {artifact.id: artifact for artifact in backend.artifacts}
    assert set(stored) == {table_id, text_id, link_id}
    table = stored[table_id]
    [task_run] = backend.read_task_runs(state.flow_run_id)
    assert (table.kind, table.key, table.task_run_id) == ("table", "load-summary", task_run.id)
    assert table.data == [{"city": "Lyon", "rows": 12}] and table.description == "rows per city"
    assert (stored[text_id].kind, stored[text_id].data, stored[text_id].task_run_id) == (
        "markdown", "# Done\n12 rows", None
    )
    assert stored[link_id].data == {"link": "https://example.com/r", "link_text": "full report"}
    assert {a.flow_run_id for a in stored.values()} == {state.flow_run_id}


def test_tables_may_be_rows_lists_or_columns() -> None:
    @flow
    def tables() -> None:
        create_table_artifact({"a": [1, 2], "b": (3, 4)})
        create_table_artifact([[1, 2], (3, 4)])

    with legato_test_harness() as backend:
        tables()
    assert isinstance(backend, InMemoryBackend)
    assert [a.data for a in backend.artifacts] == [{"a": [1, 2], "b": [3, 4]}, [[1, 2], [3, 4]]]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: create_table_artifact("not a table"), "pass a list of dicts"),
        (lambda: create_table_artifact([{"a": 1}], key="Bad Key"), "lowercase letters"),
        (lambda: create_markdown_artifact(42), "pass the markdown text"),  # type: ignore[arg-type]
        (lambda: create_link_artifact(""), "non-empty text"),
        (lambda: create_table_artifact([{"a": object()}]), "cannot be stored as JSON"),
        (lambda: create_markdown_artifact("x" * (1024 * 1024 + 1)), "over the"),
    ],
)
def test_bad_artifacts_are_refused_inside_a_flow(call: object, message: str) -> None:
    @flow
    def bad() -> None:
        call()  # type: ignore[operator]

    with legato_test_harness():
        state = bad(return_state=True)
    assert state.is_failed()
    with pytest.raises(ParameterError, match=message):
        state.result()


def test_an_artifact_outside_a_flow_run_is_a_definition_error() -> None:
    with pytest.raises(DefinitionError, match="inside a @flow or @task"):
        create_markdown_artifact("hello")
