"""Queries for users and their API tokens. Passwords arrive hashed and tokens as digests;
nothing here ever sees a clear secret."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, func, select, update

from legato.core.auth import Role, TokenRecord, UserRecord
from legato.store.tables import api_tokens, users


def user_from_row(row: Row[Any]) -> UserRecord:
    return UserRecord(
        id=row.id,
        username=row.username,
        role=Role(row.role),
        disabled=bool(row.disabled),
        created=row.created,
        updated=row.updated,
    )


def insert_user(conn: Connection, user: UserRecord, password_hash: str) -> None:
    """Insert a new user (Conflict from the store if the username is taken)."""
    conn.execute(
        users.insert().values(
            id=user.id,
            username=user.username,
            role=user.role.value,
            password_hash=password_hash,
            disabled=user.disabled,
            created=user.created,
            updated=user.updated,
        )
    )


def read_user(conn: Connection, username: str) -> UserRecord | None:
    """A user by name, or None."""
    row = conn.execute(select(users).where(users.c.username == username)).one_or_none()
    return None if row is None else user_from_row(row)


def read_user_by_id(conn: Connection, user_id: str) -> UserRecord | None:
    """A user by id, or None."""
    row = conn.execute(select(users).where(users.c.id == user_id)).one_or_none()
    return None if row is None else user_from_row(row)


def read_password_hash(conn: Connection, username: str) -> tuple[UserRecord, str] | None:
    """A user and their password hash, for checking a sign-in; None if unknown."""
    row = conn.execute(select(users).where(users.c.username == username)).one_or_none()
    return None if row is None else (user_from_row(row), row.password_hash)


def list_users(conn: Connection) -> list[UserRecord]:
    """Every user, by name."""
    return [user_from_row(row) for row in conn.execute(select(users).order_by(users.c.username))]


def count_active_admins(conn: Connection) -> int:
    """How many enabled users have the admin role."""
    query = select(func.count()).select_from(users).where(
        users.c.role == Role.ADMIN.value, users.c.disabled == False  # noqa: E712
    )
    return int(conn.execute(query).scalar_one())


def count_active_users(conn: Connection) -> int:
    """How many users are enabled."""
    query = select(func.count()).select_from(users).where(users.c.disabled == False)  # noqa: E712
    return int(conn.execute(query).scalar_one())


def update_user(conn: Connection, user_id: str, now: datetime, **values: Any) -> bool:
    """Change role, disabled or password_hash of a user; False if there is no such user."""
    result = conn.execute(
        update(users).where(users.c.id == user_id).values(updated=now, **values)
    )
    return result.rowcount == 1


def _token(row: Row[Any]) -> TokenRecord:
    return TokenRecord(
        id=row.id,
        user_id=row.user_id,
        username=row.username,
        name=row.name,
        role=Role(row.role),
        prefix=row.prefix,
        created=row.created,
        expires=row.expires,
        revoked=row.revoked,
        last_used=row.last_used,
    )


_TOKEN_COLUMNS = (
    api_tokens.c.id,
    api_tokens.c.user_id,
    users.c.username,
    api_tokens.c.name,
    api_tokens.c.role,
    api_tokens.c.prefix,
    api_tokens.c.created,
    api_tokens.c.expires,
    api_tokens.c.revoked,
    api_tokens.c.last_used,
)


def insert_token(conn: Connection, token: TokenRecord, token_digest: str) -> None:
    """Insert a new API token by the digest of its secret."""
    conn.execute(
        api_tokens.insert().values(
            id=token.id,
            user_id=token.user_id,
            name=token.name,
            role=token.role.value,
            digest=token_digest,
            prefix=token.prefix,
            created=token.created,
            expires=token.expires,
        )
    )


def find_token(conn: Connection, token_digest: str) -> tuple[TokenRecord, UserRecord] | None:
    """The token with this digest and its user, or None."""
    query = (
        select(*_TOKEN_COLUMNS, users.c.role.label("user_role"), users.c.disabled,
               users.c.created.label("user_created"), users.c.updated.label("user_updated"))
        .join(users, users.c.id == api_tokens.c.user_id)
        .where(api_tokens.c.digest == token_digest)
    )
    row = conn.execute(query).one_or_none()
    if row is None:
        return None
    user = UserRecord(
        id=row.user_id,
        username=row.username,
        role=Role(row.user_role),
        disabled=bool(row.disabled),
        created=row.user_created,
        updated=row.user_updated,
    )
    return _token(row), user


def read_token(conn: Connection, token_id: str) -> TokenRecord | None:
    """A token by id, or None."""
    query = (
        select(*_TOKEN_COLUMNS)
        .join(users, users.c.id == api_tokens.c.user_id)
        .where(api_tokens.c.id == token_id)
    )
    row = conn.execute(query).one_or_none()
    return None if row is None else _token(row)


def list_tokens(conn: Connection, user_id: str | None = None) -> list[TokenRecord]:
    """Tokens (of one user, or all), newest first."""
    query = select(*_TOKEN_COLUMNS).join(users, users.c.id == api_tokens.c.user_id)
    if user_id is not None:
        query = query.where(api_tokens.c.user_id == user_id)
    query = query.order_by(api_tokens.c.created.desc(), api_tokens.c.id.desc())
    return [_token(row) for row in conn.execute(query)]


def revoke_token(conn: Connection, token_id: str, now: datetime) -> bool:
    """Mark a token revoked (keeping when it first was); False if there is no such token."""
    result = conn.execute(
        update(api_tokens)
        .where(api_tokens.c.id == token_id)
        .values(revoked=func.coalesce(api_tokens.c.revoked, now))
    )
    return result.rowcount == 1


def touch_token(conn: Connection, token_id: str, now: datetime) -> None:
    """Record when a token was last used."""
    conn.execute(update(api_tokens).where(api_tokens.c.id == token_id).values(last_used=now))
