"""NotificationsClient: notification rules over the REST API (add, list masked, remove), on
the same transport and error handling as the deployments client."""

from __future__ import annotations

from urllib.parse import quote

from legato.client.deployments import DeploymentsClient
from legato.schemas.notifications import (
    NotificationRuleBody,
    NotificationRuleModel,
    NotificationRulePage,
)


class NotificationsClient(DeploymentsClient):
    """>>> NotificationsClient("http://127.0.0.1:4200").add(NotificationRuleBody(urls=[...]))"""

    def __enter__(self) -> NotificationsClient:
        return self

    def add(self, body: NotificationRuleBody) -> NotificationRuleModel:
        return self._call("POST", "/notifications", NotificationRuleModel, body=body,
                          idempotent=False)

    def rules(self) -> list[NotificationRuleModel]:
        return self._call("GET", "/notifications", NotificationRulePage, idempotent=True).items

    def remove(self, rule_id: str) -> None:
        self._send("DELETE", f"/notifications/{quote(rule_id, safe='')}", None,
                   idempotent=True)
