"""Routes for deployment triggers: put a deployment's whole list, read it, list every
trigger with when it last fired, and switch one on or off. The server's trigger loop evaluates them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from legato.core.triggers import TriggerSpec, parse_trigger
from legato.errors import ParameterError
from legato.scheduling import triggers as service
from legato.schemas.fields import ID_PATTERN, MAX_ID
from legato.schemas.triggers import TriggerListBody, TriggerModel, TriggerPage, TriggerUpdateBody
from legato.server.params import NOT_FOUND
from legato.server.routes.deployments import DeploymentId, StoreDep

router = APIRouter(tags=["deployments"])


@router.put("/deployments/{deployment_id}/triggers", response_model=TriggerPage,
            responses=NOT_FOUND)
def put_triggers(deployment_id: DeploymentId, body: TriggerListBody,
                 store: StoreDep) -> TriggerPage:
    """Replace the deployment's triggers; a trigger given again unchanged keeps its history.
    Every bad field of every trigger is reported at once (422)."""
    specs: list[TriggerSpec] = []
    problems: list[tuple[str, str]] = []
    for position, item in enumerate(body.triggers):
        try:
            specs.append(parse_trigger(item, f"triggers.{position}"))
        except ParameterError as error:
            problems.extend((f"triggers.{position}.{f}", str(error)) for f, _ in error.errors)
    if problems:
        raise ParameterError(
            f"{len(problems)} trigger field(s) are invalid ({problems[0][1]}); fix them and "
            "send the list again.", problems)
    records = service.set_triggers(store.db, deployment_id, specs, store.now())
    return TriggerPage(items=[TriggerModel.from_record(r) for r in records], next_offset=None)


@router.get("/deployments/{deployment_id}/triggers", response_model=TriggerPage,
            responses=NOT_FOUND)
def read_triggers(deployment_id: DeploymentId, store: StoreDep) -> TriggerPage:
    """The deployment's triggers, by position."""
    records = service.list_triggers(store.db, deployment_id)
    return TriggerPage(items=[TriggerModel.from_record(r) for r in records], next_offset=None)


@router.get("/triggers", response_model=TriggerPage)
def list_triggers(store: StoreDep) -> TriggerPage:
    """Every trigger, by flow, deployment and position."""
    records = service.list_triggers(store.db)
    return TriggerPage(items=[TriggerModel.from_record(r) for r in records], next_offset=None)


@router.patch("/triggers/{trigger_id}", response_model=TriggerModel, responses=NOT_FOUND)
def update_trigger(
    trigger_id: Annotated[str, Path(pattern=ID_PATTERN, max_length=MAX_ID)],
    body: TriggerUpdateBody,
    store: StoreDep,
) -> TriggerModel:
    """Switch a trigger on or off; it keeps its firing history. A disabled trigger fires on
    no event (events meanwhile are not replayed when it is switched on again)."""
    record = service.set_trigger_enabled(store.db, trigger_id, body.enabled, store.now())
    return TriggerModel.from_record(record)
