"""Wire models for notification rules. URLs go in as given and come out masked: the API never
returns a stored credential."""

from __future__ import annotations

from pydantic import Field

from legato.core.notifications import (
    DEFAULT_STATES,
    MAX_URL,
    MAX_URLS,
    NotificationRule,
    mask_url,
)
from legato.schemas.api import Page
from legato.schemas.fields import Id, Name, Timestamp
from legato.schemas.records import WireModel


class NotificationRuleBody(WireModel):
    """A rule: send to `urls` (apprise URLs) when a run enters one of `states`; optionally only
    runs of `deployment` (`flow/name`) or with one of `tags`."""

    urls: list[str] = Field(min_length=1, max_length=MAX_URLS)
    states: list[str] = Field(default_factory=lambda: list(DEFAULT_STATES), max_length=10)
    deployment: str | None = Field(default=None, min_length=1, max_length=512)
    tags: list[Name] = Field(default_factory=list, max_length=50)
    name: Name | None = None


class NotificationRuleModel(WireModel):
    """A stored rule, its URLs masked."""

    id: Id
    urls: list[str] = Field(max_length=MAX_URLS)
    states: list[str]
    deployment: str | None
    tags: list[str]
    name: str | None
    enabled: bool
    created: Timestamp | None

    @classmethod
    def from_rule(cls, rule: NotificationRule) -> NotificationRuleModel:
        return cls(
            id=rule.id, urls=[mask_url(u)[:MAX_URL] for u in rule.urls], states=list(rule.states),
            deployment=rule.deployment, tags=list(rule.tags), name=rule.name,
            enabled=rule.enabled, created=rule.created,
        )


class NotificationRulePage(Page[NotificationRuleModel]):
    """Notification rules, oldest first."""
