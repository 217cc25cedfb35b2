"""TriggerService.tick(now) with a fake clock, on SQLite and PostgreSQL: a deployment runs when
another flow completes, when a matching event arrives (with payload-mapped parameters), when
all of its assets were updated; debounce, idempotence and a bad trigger beside good ones."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, update

from legato._clock import FakeClock
from legato.core.deployments import DeploymentRecord, DeploymentSpec
from legato.core.events import NewEvent
from legato.core.ids import new_id
from legato.core.records import NewFlowRun
from legato.core.states import StateType as S
from legato.core.triggers import parse_trigger
from legato.orchestration import deployments as door
from legato.orchestration.local import LocalBackend
from legato.scheduling.deployments import create_deployment, run_deployment
from legato.scheduling.triggers import CURSOR, TriggerService, list_triggers, set_triggers
from legato.store import event_log
from legato.store.database import Database
from legato.store.tables import events, triggers

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


def deploy(db: Database, name: str, flow: str = "report", **fields: Any) -> DeploymentRecord:
    spec = DeploymentSpec(name=name, flow_name=flow, entrypoint=f"{flow}.py:{flow}",
                          parameters={"date": "latest", "region": "all"}, **fields)
    return create_deployment(db, spec, now=T0)


def arm(db: Database, deployment: DeploymentRecord, *triggers: dict[str, Any],
        now: datetime = T0) -> None:
    set_triggers(db, deployment.id, [parse_trigger(t) for t in triggers], now)


def runs_of(db: Database, deployment: DeploymentRecord) -> list[dict[str, Any]]:
    return [r.parameters for r in reversed(door.list_deployment_runs(db, deployment.id))]


class World:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.clock = FakeClock(T0)
        self.backend = LocalBackend(db, clock=self.clock)
        self.service = TriggerService(db, self.clock)
        self.service.tick()  # the first tick only places the cursor

    def later(self, seconds: float = 1.0) -> None:
        self.clock.advance(seconds)

    def complete(self, flow: str, final: S = S.COMPLETED) -> None:
        run = self.backend.create_flow_run(NewFlowRun(new_id(), flow, "r", {}, S.RUNNING,
                                                      self.clock.now()))
        self.backend.set_flow_run_state(run.id, final)

    def emit(self, name: str, payload: dict[str, Any] | None = None,
             resource: str | None = None) -> None:
        self.backend.emit_event(NewEvent(name, payload or {}, resource=resource))


def test_deployment_runs_when_another_flow_completes_and_not_when_it_fails(
    any_db: Database,
) -> None:
    world = World(any_db)
    downstream = deploy(any_db, "after-etl")
    arm(any_db, downstream, {"flow": "etl", "states": ["completed"]})
    world.later()
    world.complete("etl", S.FAILED)
    world.complete("other")
    assert world.service.tick().fired == 0
    world.complete("etl")
    result = world.service.tick()
    assert (result.fired, result.waiting) == (1, False)
    assert runs_of(any_db, downstream) == [{"date": "latest", "region": "all"}]
    assert world.service.tick().fired == 0
    (trigger,) = list_triggers(any_db, downstream.id)
    assert trigger.fired_count == 1 and trigger.last_fired is not None


def test_deployment_trigger_names_flow_and_deployment(any_db: Database) -> None:
    world = World(any_db)
    upstream = deploy(any_db, "nightly", flow="etl")
    downstream = deploy(any_db, "after-nightly")
    arm(any_db, downstream, {"deployment": "etl/nightly", "states": ["failed", "crashed"]})
    world.later()
    world.complete("etl", S.FAILED)  # not a run of the deployment
    run = door.list_deployment_runs(any_db, upstream.id)
    assert run == []
    made = run_deployment(any_db, upstream.id, now=world.clock.now())
    world.backend.set_flow_run_state(made.id, S.RUNNING)
    world.backend.set_flow_run_state(made.id, S.CRASHED)
    assert world.service.tick().fired == 1
    assert len(runs_of(any_db, downstream)) == 1


def test_matching_event_fires_with_parameters_mapped_from_the_payload(any_db: Database) -> None:
    world = World(any_db)
    target = deploy(any_db, "on-orders")
    arm(any_db, target, {"event": "orders.*", "match": {"region": "eu"},
                         "parameters": {"date": "{{ event.payload.date }}",
                                        "label": "orders of {{ event.payload.date }}"}})
    world.later()
    world.emit("orders.loaded", {"region": "us", "date": "2026-01-30"})
    world.emit("orders.loaded", {"region": "eu", "date": "2026-01-31"})
    world.emit("users.loaded", {"region": "eu", "date": "2026-01-31"})
    assert world.service.tick().fired == 1
    assert runs_of(any_db, target) == [
        {"date": "2026-01-31", "region": "all", "label": "orders of 2026-01-31"}]


def test_debounce_ignores_matches_soon_after_a_firing(any_db: Database) -> None:
    world = World(any_db)
    target = deploy(any_db, "debounced")
    arm(any_db, target, {"event": "ping", "debounce": 60})
    world.later()
    world.emit("ping")
    world.later(30)
    world.emit("ping")
    assert world.service.tick().fired == 1
    world.later(31)
    world.emit("ping")
    assert world.service.tick().fired == 1
    assert len(runs_of(any_db, target)) == 2


def test_all_of_assets_fires_once_every_asset_was_updated_within_the_window(
    any_db: Database,
) -> None:
    world = World(any_db)
    target = deploy(any_db, "join")
    arm(any_db, target, {"assets": ["s3://lake/a", "s3://lake/b"], "all": True, "within": 600})
    world.later()
    world.emit("legato.asset.updated", resource="s3://lake/a")
    assert world.service.tick().fired == 0
    world.later(700)  # a's update is now too old
    world.emit("legato.asset.updated", resource="s3://lake/b")
    assert world.service.tick().fired == 0
    world.later()
    world.emit("legato.asset.updated", resource="s3://lake/a")
    assert world.service.tick().fired == 1
    (trigger,) = list_triggers(any_db, target.id)
    assert trigger.state == {}
    world.later()
    world.emit("legato.asset.updated", resource="s3://lake/a")
    assert world.service.tick().fired == 0
    assert len(runs_of(any_db, target)) == 1


def test_events_read_again_do_not_fire_twice(any_db: Database) -> None:
    world = World(any_db)
    target = deploy(any_db, "once")
    arm(any_db, target, {"event": "ping"})
    with any_db.writing() as conn:
        start = event_log.read_cursor(conn, CURSOR)
    world.later()
    world.emit("ping")
    assert world.service.tick().fired == 1
    with any_db.writing() as conn:  # as if a crash lost the cursor's move
        event_log.write_cursor(conn, CURSOR, start or 0, world.clock.now())
    assert world.service.tick().fired == 0
    assert len(runs_of(any_db, target)) == 1


def test_a_trigger_whose_template_fails_does_not_stop_the_others(any_db: Database) -> None:
    world = World(any_db)
    broken = deploy(any_db, "broken")
    fine = deploy(any_db, "fine")
    arm(any_db, broken, {"event": "ping", "parameters": {"date": "{{ event.payload.nope }}"}})
    arm(any_db, fine, {"event": "ping"})
    world.later()
    world.emit("ping")
    assert world.service.tick().fired == 1
    assert runs_of(any_db, broken) == [] and len(runs_of(any_db, fine)) == 1


def test_paused_deployment_and_events_before_the_trigger_do_not_fire(any_db: Database) -> None:
    world = World(any_db)
    world.emit("ping")
    world.later()
    target = deploy(any_db, "late-arrival")
    arm(any_db, target, {"event": "ping"}, now=world.clock.now())
    paused = deploy(any_db, "paused", paused=True)
    arm(any_db, paused, {"event": "ping"}, now=world.clock.now())
    world.later()
    world.emit("ping")
    assert world.service.tick().fired == 1
    assert len(runs_of(any_db, target)) == 1 and runs_of(any_db, paused) == []


def test_a_fresh_gap_in_event_order_waits_then_is_skipped(any_db: Database) -> None:
    world = World(any_db)
    target = deploy(any_db, "gappy")
    arm(any_db, target, {"event": "ping"})
    world.later()
    world.emit("pong")
    assert world.service.tick().events == 1
    world.emit("rolled-back")
    world.emit("ping")
    with any_db.writing() as conn:  # its seq now looks like an insert not yet committed
        conn.execute(delete(events).where(events.c.name == "rolled-back"))
    result = world.service.tick()
    assert (result.fired, result.waiting) == (0, True)
    world.later(11)
    assert world.service.tick().fired == 1


def test_a_malformed_stored_trigger_is_skipped_and_the_others_fire(any_db: Database) -> None:
    world = World(any_db)
    broken = deploy(any_db, "broken-row")
    fine = deploy(any_db, "fine-row")
    arm(any_db, broken, {"event": "ping"})
    arm(any_db, fine, {"event": "ping"})
    with any_db.writing() as conn:
        conn.execute(update(triggers).where(triggers.c.deployment_id == broken.id)
                     .values(spec={"event": "ping", "colour": "red"}))
    world.later()
    world.emit("ping")
    assert world.service.tick().fired == 1
    assert len(runs_of(any_db, fine)) == 1 and runs_of(any_db, broken) == []


def test_with_nothing_armed_the_cursor_skips_events_unread_then_fires_for_new_ones(
    any_db: Database,
) -> None:
    world = World(any_db)
    world.emit("ping")
    world.emit("ping")
    assert world.service.tick().events == 0  # nothing armed: moved past, nothing read
    with any_db.reading() as conn:
        assert event_log.read_cursor(conn, CURSOR) == event_log.last_seq(conn)
    world.later()
    target = deploy(any_db, "pinged")
    arm(any_db, target, {"event": "ping"}, now=world.clock.now())
    world.later()
    world.emit("ping")
    assert world.service.tick().fired == 1
    assert len(runs_of(any_db, target)) == 1
