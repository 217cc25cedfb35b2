"""The event part of the Backend contract: emitted events are stored once per id, checked
(bad and reserved names, payloads that are too large or not JSON), listed newest first by
name, prefix and time. BackendContract inherits it; the in-memory backend runs it too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from legato._clock import FakeClock
from legato.core.backend import Backend
from legato.core.events import MAX_PAYLOAD_BYTES, NewEvent
from legato.core.ids import new_id
from legato.core.records import NewFlowRun
from legato.core.states import StateType as S
from legato.errors import ParameterError

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class EventContract:
    """Events; subclasses provide `backend` and `clock` fixtures."""

    def test_emitted_event_is_stored_with_its_payload_and_defaults(
        self, backend: Backend, clock: FakeClock
    ) -> None:
        payload = {"date": "2026-01-31", "rows": 1200, "nested": {"xs": [1, 2.5, None, True]}}
        stored = backend.emit_event(NewEvent("orders.loaded", payload))
        assert stored.name == "orders.loaded"
        assert stored.payload == payload
        assert stored.received == clock.now() and stored.occurred == clock.now()
        assert stored.resource == f"legato.event.{stored.id}"
        (listed,) = backend.list_events(name="orders.loaded")
        assert listed == stored

    def test_event_with_a_known_id_is_stored_once(self, backend: Backend) -> None:
        event_id = new_id()
        first = backend.emit_event(NewEvent("hook.push", {"n": 1}, id=event_id))
        again = backend.emit_event(NewEvent("hook.push", {"n": 2}, id=event_id))
        assert again == first
        assert [e.payload for e in backend.list_events(name="hook.push")] == [{"n": 1}]

    def test_events_are_listed_newest_first_by_name_prefix_and_time(
        self, backend: Backend, clock: FakeClock
    ) -> None:
        for offset, name in enumerate(["orders.created", "orders.paid", "users.created"]):
            backend.emit_event(NewEvent(name, {"i": offset}, resource="shop.x",
                                        related=("a.b",), occurred=T0 + timedelta(minutes=offset)))
        assert [e.name for e in backend.list_events(prefix="orders.")] == [
            "orders.paid", "orders.created"]
        assert [e.name for e in backend.list_events(since=T0 + timedelta(minutes=1))] == [
            "users.created", "orders.paid"]
        assert [e.name for e in backend.list_events(until=T0 + timedelta(minutes=1))] == [
            "orders.created"]
        assert [e.name for e in backend.list_events(limit=1, offset=1)] == ["orders.paid"]
        assert backend.list_events(name="users.created")[0].related == ("a.b",)

    @pytest.mark.parametrize(
        ("name", "fix"),
        [("", "1 to 255"), ("bad name!", "letters, digits"), ("x" * 256, "1 to 255"),
         ("legato.flow-run.completed", "only Legato emits")],
    )
    def test_bad_or_reserved_names_are_refused(self, backend: Backend, name: str,
                                               fix: str) -> None:
        with pytest.raises(ParameterError, match=fix):
            backend.emit_event(NewEvent(name, {}))
        assert backend.list_events() == []

    def test_oversized_payload_is_refused_and_nothing_is_stored(self, backend: Backend) -> None:
        with pytest.raises(ParameterError, match="under 65536 bytes"):
            backend.emit_event(NewEvent("big", {"blob": "x" * MAX_PAYLOAD_BYTES}))
        assert backend.list_events() == []

    def test_flow_run_state_changes_are_events(self, backend: Backend) -> None:
        run = backend.create_flow_run(NewFlowRun(new_id(), "etl", "calm-heron", {}, S.RUNNING,
                                                 T0, tags=("nightly",)))
        backend.set_flow_run_state(run.id, S.FAILED, message="ValueError: boom")
        failed, running = backend.list_events(prefix="legato.flow-run.")
        assert (failed.name, running.name) == ("legato.flow-run.failed", "legato.flow-run.running")
        assert failed.resource == f"legato.flow-run.{run.id}"
        assert failed.payload["flow_name"] == "etl" and failed.payload["tags"] == ["nightly"]
        assert (failed.payload["from_state"], failed.payload["message"]) == (
            "RUNNING", "ValueError: boom")
        assert failed.related == ("legato.flow.etl", "legato.tag.nightly")

    def test_negative_page_is_refused(self, backend: Backend) -> None:
        with pytest.raises(ParameterError, match="limit=-1"):
            backend.list_events(limit=-1)
