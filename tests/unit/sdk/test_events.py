"""emit_event from flows, tasks and plain code, and `produces=` announcing asset updates."""

from __future__ import annotations

import pytest

from legato import emit_event, flow, task
from legato.core.events import ASSET_UPDATED
from legato.errors import DefinitionError, ParameterError
from legato.testing import InMemoryBackend


def test_emit_event_inside_a_task_links_the_flow_run_and_task_run(
    backend: InMemoryBackend,
) -> None:
    @task
    def load(date: str) -> int:
        emit_event("orders.loaded", {"date": date, "rows": 3})
        return 3

    @flow
    def nightly(date: str) -> int:
        return load(date)

    state = nightly("2026-01-31", return_state=True)
    (event,) = backend.list_events(name="orders.loaded")
    assert event.payload == {"date": "2026-01-31", "rows": 3}
    assert event.resource == f"legato.flow-run.{state.flow_run_id}"
    (task_run,) = backend.read_task_runs(state.flow_run_id)
    assert event.related == (f"legato.flow-run.{state.flow_run_id}",
                             f"legato.task-run.{task_run.id}")


def test_emit_event_outside_a_run_uses_the_default_backend(backend: InMemoryBackend) -> None:
    stored = emit_event("deploy.finished", {"version": "1.2"}, resource="app.web",
                        related=["team.data"])
    assert backend.list_events() == [stored]
    assert stored.resource == "app.web" and stored.related == ("team.data",)


def test_emit_event_with_a_bad_name_raises_a_parameter_error(backend: InMemoryBackend) -> None:
    with pytest.raises(ParameterError, match="letters, digits"):
        emit_event("no spaces please")


def test_completed_task_with_produces_announces_each_asset(backend: InMemoryBackend) -> None:
    @task(produces=["s3://lake/orders/{date}.parquet", "file:///tmp/orders.csv"])
    def export(date: str) -> None:
        return None

    @flow
    def publish(date: str) -> None:
        export(date)

    state = publish("2026-01-31", return_state=True)
    events = backend.list_events(name=ASSET_UPDATED)
    assert sorted(e.resource for e in events) == [
        "file:///tmp/orders.csv", "s3://lake/orders/2026-01-31.parquet"]
    assert {e.payload["flow_run_id"] for e in events} == {state.flow_run_id}
    assert {e.payload["task_name"] for e in events} == {"export"}


def test_failed_task_announces_no_asset(backend: InMemoryBackend) -> None:
    @task(produces="s3://lake/x")
    def broken() -> None:
        raise ValueError("no data")

    @flow
    def publish() -> None:
        broken()

    assert publish(return_state=True).is_failed()
    assert backend.list_events(name=ASSET_UPDATED) == []


def test_asset_template_with_an_unknown_parameter_is_logged_and_the_task_completes(
    backend: InMemoryBackend,
) -> None:
    @task(produces="s3://lake/{missing}")
    def export() -> int:
        return 1

    @flow
    def publish() -> int:
        return export()

    state = publish(return_state=True)
    assert state.is_completed()
    assert backend.list_events(name=ASSET_UPDATED) == []
    assert any("could not announce asset" in log.message for log in backend.logs)


def test_produces_without_a_url_scheme_is_a_definition_error() -> None:
    with pytest.raises(DefinitionError, match="asset URLs with a scheme"):
        task(produces=["orders.csv"])(lambda: None)
