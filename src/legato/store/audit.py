"""Queries for the audit log (append and page backwards) and for browser sessions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, select

from legato.core.auth import AuditRecord, Principal, UserRecord
from legato.store.accounts import user_from_row
from legato.store.tables import audit_log, auth_sessions, users


def append(
    conn: Connection,
    principal: Principal,
    action: str,
    at: datetime,
    *,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Record that `principal` did `action` to `target` at `at`."""
    conn.execute(
        audit_log.insert().values(
            at=at,
            actor=principal.actor[:255],
            actor_kind=principal.kind.value,
            action=action[:64],
            target=None if target is None else target[:1024],
            source=None if principal.source is None else principal.source[:255],
            detail=detail,
        )
    )


def _record(row: Row[Any]) -> AuditRecord:
    return AuditRecord(
        id=row.id,
        at=row.at,
        actor=row.actor,
        actor_kind=row.actor_kind,
        action=row.action,
        target=row.target,
        source=row.source,
        detail=row.detail,
    )


def list_audit(
    conn: Connection,
    *,
    limit: int,
    before_id: int | None = None,
    actor: str | None = None,
    action: str | None = None,
) -> list[AuditRecord]:
    """Audit lines newest first; `before_id` continues a page (keyset pagination)."""
    query = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(audit_log.c.id < before_id)
    if actor is not None:
        query = query.where(audit_log.c.actor == actor)
    if action is not None:
        query = query.where(audit_log.c.action == action)
    return [_record(row) for row in conn.execute(query)]


# -- browser sessions ------------------------------------------------------------------
def insert_session(
    conn: Connection,
    session_digest: str,
    user_id: str,
    csrf_digest: str,
    created: datetime,
    expires: datetime,
) -> None:
    """Store a new session by the digest of its cookie."""
    conn.execute(
        auth_sessions.insert().values(
            digest=session_digest,
            user_id=user_id,
            csrf_digest=csrf_digest,
            created=created,
            expires=expires,
        )
    )


def find_session(
    conn: Connection, session_digest: str, now: datetime
) -> tuple[UserRecord, str] | None:
    """The user of an unexpired session and the digest of its CSRF token, or None."""
    query = (
        select(users, auth_sessions.c.csrf_digest)
        .join(auth_sessions, auth_sessions.c.user_id == users.c.id)
        .where(auth_sessions.c.digest == session_digest, auth_sessions.c.expires > now)
    )
    row = conn.execute(query).one_or_none()
    return None if row is None else (user_from_row(row), row.csrf_digest)


def delete_session(conn: Connection, session_digest: str) -> None:
    """End a session (signing out)."""
    conn.execute(delete(auth_sessions).where(auth_sessions.c.digest == session_digest))


def delete_user_sessions(conn: Connection, user_id: str) -> None:
    """End every session of a user (disabled, role or password changed)."""
    conn.execute(delete(auth_sessions).where(auth_sessions.c.user_id == user_id))


def delete_expired_sessions(conn: Connection, now: datetime) -> int:
    """Drop sessions past their expiry; how many went."""
    result = conn.execute(delete(auth_sessions).where(auth_sessions.c.expires <= now))
    return int(result.rowcount)
