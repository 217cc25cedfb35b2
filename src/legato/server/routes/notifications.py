"""Routes for notification rules: add, list (URLs masked) and delete. The server's
notification loop sends the messages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from legato.scheduling import notifications as service
from legato.schemas.fields import ID_PATTERN, MAX_ID
from legato.schemas.notifications import (
    NotificationRuleBody,
    NotificationRuleModel,
    NotificationRulePage,
)
from legato.server.params import NOT_FOUND
from legato.server.routes.deployments import StoreDep

router = APIRouter(tags=["notifications"])
RuleId = Annotated[str, Path(pattern=ID_PATTERN, max_length=MAX_ID,
                             description="A notification rule id.")]


@router.post("/notifications", response_model=NotificationRuleModel, status_code=201)
def add_rule(body: NotificationRuleBody, store: StoreDep) -> NotificationRuleModel:
    """Add a rule; 422 names a bad URL (masked) or state. The answer shows URLs masked."""
    rule = service.add_rule(store.db, body.urls, now=store.now(), states=body.states,
                            deployment=body.deployment, tags=body.tags, name=body.name)
    return NotificationRuleModel.from_rule(rule)


@router.get("/notifications", response_model=NotificationRulePage)
def list_rules(store: StoreDep) -> NotificationRulePage:
    """Every rule, oldest first, URLs masked."""
    rules = service.list_rules(store.db)
    return NotificationRulePage(items=[NotificationRuleModel.from_rule(r) for r in rules],
                                next_offset=None)


@router.delete("/notifications/{rule_id}", status_code=204, responses=NOT_FOUND)
def remove_rule(rule_id: RuleId, store: StoreDep) -> Response:
    """Delete a rule."""
    service.remove_rule(store.db, rule_id)
    return Response(status_code=204)
