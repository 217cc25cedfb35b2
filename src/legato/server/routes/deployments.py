"""Routes for deployments: create (pinning the flow version sent along), read, list, update,
pause, resume, delete, run now, list their runs and backfill a range of slots."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from legato._clock import Clock
from legato.core.deployments import DeploymentRecord, DeploymentSpec
from legato.core.parameter_check import check_parameters
from legato.core.schedules import ScheduleSpec, zone
from legato.errors import BackendUnavailable, DefinitionError, NotFound, ParameterError
from legato.orchestration import deployments as door
from legato.scheduling import deployments as scheduling
from legato.scheduling.slots import validate_schedule
from legato.schemas.api import DEFAULT_PAGE, MAX_PAGE
from legato.schemas.deployments import (
    BackfillBody,
    BackfillResultModel,
    DeploymentCreateBody,
    DeploymentModel,
    DeploymentName,
    DeploymentPage,
    DeploymentRunModel,
    DeploymentRunPage,
    DeploymentUpdateBody,
    RunDeploymentBody,
    ScheduleBody,
)
from legato.schemas.fields import ID_PATTERN, MAX_ID, MAX_INT, MAX_NAME
from legato.server.params import NOT_FOUND, NOT_FOUND_OR_CONFLICT, BackendDep
from legato.store.database import Database

router = APIRouter(tags=["deployments"])

DeploymentId = Annotated[
    str, Path(pattern=ID_PATTERN, max_length=MAX_ID, description="A deployment id.")
]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]
Offset = Annotated[int, Query(ge=0, le=MAX_INT)]
# Fields copied as they are into DeploymentSpec; of these, null clears only the optional ones.
_PLAIN_FIELDS = frozenset(
    {"name", "entrypoint", "tags", "work_queue", "paused", "catchup", "catchup_window_seconds",
     "catchup_max_runs", "max_active_runs", "run_timeout_seconds", "version", "description",
     "crash_retries", "priority"}
)
_CLEARABLE_FIELDS = frozenset({"max_active_runs", "run_timeout_seconds", "version", "description"})


@dataclass(frozen=True, slots=True)
class Store:
    """The database and clock deployments are served from."""

    db: Database
    clock: Clock

    def now(self) -> datetime:
        return self.clock.now()


def _store(request: Request) -> Store:
    db: Database | None = request.app.state.db
    if db is None:
        raise BackendUnavailable(
            "this API server has no database for deployments; run `legato server` over a "
            "SQLite or PostgreSQL database."
        )
    clock: Clock = request.app.state.clock
    return Store(db, clock)


StoreDep = Annotated[Store, Depends(_store)]


def _schedules(bodies: list[ScheduleBody]) -> tuple[ScheduleSpec, ...]:
    """Core schedules, each fully checked; a bad one is a ParameterError naming its field."""
    specs = []
    for index, body in enumerate(bodies):
        field = f"schedules.{index}.timezone"
        try:
            zone(body.timezone)
            field = f"schedules.{index}.{body.field}"
            specs.append(validate_schedule(body.to_spec()))
        except DefinitionError as error:
            raise ParameterError(f"{field}: {error}", [(field, str(error))]) from None
    return tuple(specs)


def _pin_version(
    backend: BackendDep, flow_name: str, body: DeploymentCreateBody | DeploymentUpdateBody,
    entrypoint: str | None,
) -> str | None:
    """Register the flow version the body carries; its id, or None when it carries none."""
    if body.source is None or body.source_hash is None:
        return None
    actual = hashlib.sha256(body.source.encode()).hexdigest()
    if actual != body.source_hash:
        raise ParameterError(
            f"source_hash does not match the sha256 of source for flow {flow_name!r}; send "
            "the hex sha256 of the source text.",
            [("source_hash", f"expected {actual}")],
        )
    return backend.register_flow_version(flow_name, body.source, body.source_hash, entrypoint)


def _check_defaults(
    name: str, parameters: dict[str, Any], schema: dict[str, Any] | None, *, complete: bool = False
) -> None:
    """Check parameters against a schema; defaults may leave required ones to each run."""
    if schema is not None:
        check_parameters(parameters, schema, f"deployment {name!r}", complete=complete)


def _plain_changes(body: DeploymentCreateBody | DeploymentUpdateBody) -> dict[str, Any]:
    """The plain fields the body sets (null only for those it may clear)."""
    changes: dict[str, Any] = {}
    for key in body.model_fields_set & _PLAIN_FIELDS:
        value = getattr(body, key)
        if value is not None or key in _CLEARABLE_FIELDS:
            changes[key] = tuple(value) if key == "tags" else value
    return changes


@router.post("/deployments", status_code=201, response_model=DeploymentModel,
             responses=NOT_FOUND_OR_CONFLICT)
def create_deployment(
    body: DeploymentCreateBody, backend: BackendDep, store: StoreDep
) -> DeploymentModel:
    """Create a deployment; 409 when its flow already has one with that name."""
    parameters = body.parameters or {}
    _check_defaults(body.name, parameters, body.parameter_schema)
    fields = {
        **_plain_changes(body),
        "name": body.name,
        "flow_name": body.flow_name,
        "entrypoint": body.entrypoint,
        "parameters": parameters,
        "schedules": _schedules(body.schedules or []),
        "flow_version_id": _pin_version(backend, body.flow_name, body, body.entrypoint),
        "parameter_schema": body.parameter_schema,
    }
    record = scheduling.create_deployment(store.db, DeploymentSpec(**fields), now=store.now())
    return DeploymentModel.from_record(record)


@router.get("/deployments", response_model=DeploymentPage)
def list_deployments(
    store: StoreDep,
    flow_name: Annotated[str | None, Query(min_length=1, max_length=MAX_NAME)] = None,
    name: Annotated[DeploymentName | None, Query()] = None,
    limit: Limit = DEFAULT_PAGE,
    offset: Offset = 0,
) -> DeploymentPage:
    """Deployments, oldest first; `flow_name` with `name` finds one (an empty page if none)."""
    if name is not None:
        if flow_name is None:
            raise ParameterError(
                "the name filter needs flow_name too; pass both to find one deployment.",
                [("name", "requires flow_name")],
            )
        try:
            found = [door.find_deployment(store.db, flow_name, name)]
        except NotFound:
            found = []
        items = [DeploymentModel.from_record(record) for record in found]
        return DeploymentPage(items=items, next_offset=None)
    records = door.list_deployments(store.db, flow_name=flow_name, limit=limit, offset=offset)
    return DeploymentPage(
        items=[DeploymentModel.from_record(record) for record in records],
        next_offset=offset + len(records) if len(records) == limit else None,
    )


@router.get("/deployments/{deployment_id}", response_model=DeploymentModel, responses=NOT_FOUND)
def read_deployment(deployment_id: DeploymentId, store: StoreDep) -> DeploymentModel:
    """One deployment with its schedules."""
    return DeploymentModel.from_record(door.read_deployment(store.db, deployment_id))


@router.patch("/deployments/{deployment_id}", response_model=DeploymentModel,
              responses=NOT_FOUND_OR_CONFLICT)
def update_deployment(
    deployment_id: DeploymentId, body: DeploymentUpdateBody, backend: BackendDep, store: StoreDep
) -> DeploymentModel:
    """Change the fields given; `schedules` replaces every schedule, `source` pins a new
    flow version, `parameter_schema` replaces the stored schema that checks parameters."""
    current = door.read_deployment(store.db, deployment_id).spec
    changes = _plain_changes(body)
    if body.parameters is not None:
        changes["parameters"] = body.parameters
    if body.schedules is not None:
        changes["schedules"] = _schedules(body.schedules)
    entrypoint = changes.get("entrypoint", current.entrypoint)
    version_id = _pin_version(backend, current.flow_name, body, entrypoint)
    if version_id is not None:
        changes["flow_version_id"] = version_id
    if body.parameter_schema is not None:
        changes["parameter_schema"] = body.parameter_schema
    _check_defaults(
        changes.get("name", current.name),
        changes.get("parameters", current.parameters),
        changes.get("parameter_schema", current.parameter_schema),
    )
    record = scheduling.update_deployment(store.db, deployment_id, now=store.now(), **changes)
    return DeploymentModel.from_record(record)


@router.post("/deployments/{deployment_id}/pause", response_model=DeploymentModel,
             responses=NOT_FOUND)
def pause_deployment(deployment_id: DeploymentId, store: StoreDep) -> DeploymentModel:
    """Stop the deployment's schedules from making runs until it is resumed."""
    record = door.pause_deployment(store.db, deployment_id, now=store.now())
    return DeploymentModel.from_record(record)


@router.post("/deployments/{deployment_id}/resume", response_model=DeploymentModel,
             responses=NOT_FOUND)
def resume_deployment(deployment_id: DeploymentId, store: StoreDep) -> DeploymentModel:
    """Resume a paused deployment; missed slots follow its catch-up policy."""
    record = door.resume_deployment(store.db, deployment_id, now=store.now())
    return DeploymentModel.from_record(record)


@router.delete("/deployments/{deployment_id}", status_code=204, responses=NOT_FOUND)
def delete_deployment(deployment_id: DeploymentId, store: StoreDep) -> Response:
    """Delete a deployment and its schedules; the runs it made stay as history."""
    door.delete_deployment(store.db, deployment_id)
    return Response(status_code=204)


@router.post("/deployments/{deployment_id}/runs", status_code=201,
             response_model=DeploymentRunModel, responses=NOT_FOUND)
def run_deployment(
    deployment_id: DeploymentId, body: RunDeploymentBody, store: StoreDep
) -> DeploymentRunModel:
    """Make a SCHEDULED run now with `parameters` over the defaults, checked against the
    deployment's parameter schema when it has one (422 naming each bad field); the flow
    validates them fully when the run executes (ADR 0010)."""
    def check(deployment: DeploymentRecord) -> None:
        spec = deployment.spec
        _check_defaults(spec.name, {**spec.parameters, **body.parameters},
                        spec.parameter_schema, complete=True)

    run = scheduling.run_deployment(
        store.db,
        deployment_id,
        now=store.now(),
        parameters=body.parameters,
        idempotency_key=body.idempotency_key,
        priority=body.priority,
        check=check,
    )
    return DeploymentRunModel.from_record(run)


@router.get("/deployments/{deployment_id}/runs", response_model=DeploymentRunPage,
            responses=NOT_FOUND)
def list_deployment_runs(
    deployment_id: DeploymentId, store: StoreDep, limit: Limit = DEFAULT_PAGE, offset: Offset = 0
) -> DeploymentRunPage:
    """The deployment's runs, oldest slot first (runs made on demand by their time)."""
    door.read_deployment(store.db, deployment_id)  # an unknown id is a 404, not an empty page
    runs = door.list_deployment_runs(store.db, deployment_id, limit=limit, offset=offset)
    return DeploymentRunPage(
        items=[DeploymentRunModel.from_record(run) for run in runs],
        next_offset=offset + len(runs) if len(runs) == limit else None,
    )


@router.post("/deployments/{deployment_id}/backfill", response_model=BackfillResultModel,
             responses=NOT_FOUND)
def backfill_deployment(
    deployment_id: DeploymentId, body: BackfillBody, store: StoreDep
) -> BackfillResultModel:
    """One SCHEDULED backfill run per slot in [start, end); slots already backfilled are
    skipped, more than `max_runs` slots is a 422."""
    created = scheduling.backfill(
        store.db, deployment_id, body.start, body.end, now=store.now(), max_runs=body.max_runs
    )
    return BackfillResultModel(created=created)
