"""Queries for notification rules: add, list, delete. URLs are stored as given (the server
needs them to send) and masked by whoever shows them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select

from legato.core.notifications import NotificationRule
from legato.store.tables import notification_rules


def _rule(row: Row[Any]) -> NotificationRule:
    return NotificationRule(
        id=row.id, urls=tuple(row.urls), states=tuple(row.states), deployment=row.deployment,
        tags=tuple(row.tags), name=row.name, enabled=bool(row.enabled), created=row.created,
    )


def insert_rule(conn: Connection, rule: NotificationRule) -> None:
    conn.execute(insert(notification_rules).values(
        id=rule.id, name=rule.name, urls=list(rule.urls), states=list(rule.states),
        deployment=rule.deployment, tags=list(rule.tags), enabled=rule.enabled,
        created=rule.created))


def list_rules(conn: Connection) -> list[NotificationRule]:
    query = select(notification_rules).order_by(notification_rules.c.created,
                                                 notification_rules.c.id)
    return [_rule(row) for row in conn.execute(query)]


def delete_rule(conn: Connection, rule_id: str) -> bool:
    """Delete a rule; whether it existed."""
    done = conn.execute(delete(notification_rules).where(notification_rules.c.id == rule_id))
    return bool(done.rowcount)
