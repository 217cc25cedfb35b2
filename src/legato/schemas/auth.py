"""Wire models of sign-in and administration: who am I, users, API tokens (the secret only
in the answer to creating one) and audit log pages."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StringConstraints

from legato.core.auth import (
    MAX_PASSWORD_LENGTH,
    AuditRecord,
    Role,
    TokenRecord,
    UserRecord,
)
from legato.schemas.fields import Name, Timestamp
from legato.schemas.records import WireModel

Username = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Password = Annotated[str, StringConstraints(min_length=1, max_length=MAX_PASSWORD_LENGTH)]
# Tokens expire after at most ten years; no expiry is asked for explicitly with null.
MAX_TOKEN_SECONDS = 10 * 366 * 86400


class LoginBody(WireModel):
    """A sign-in with a username and password."""

    username: Username
    password: Password


class MeModel(WireModel):
    """Who the credentials of a request belong to."""

    username: str
    role: Role


class UserModel(WireModel):
    """A user (never their password)."""

    id: str
    username: str
    role: Role
    disabled: bool
    created: Timestamp
    updated: Timestamp

    @classmethod
    def from_record(cls, user: UserRecord) -> UserModel:
        return cls(id=user.id, username=user.username, role=user.role, disabled=user.disabled,
                   created=user.created, updated=user.updated)


class UserList(WireModel):
    items: list[UserModel]


class UserCreateBody(WireModel):
    """A new user with a role."""

    username: Username
    password: Password
    role: Role = Role.VIEWER


class UserUpdateBody(WireModel):
    """Changes to a user: any of role, disabled and password."""

    role: Role | None = None
    disabled: bool | None = None
    password: Password | None = None


class TokenModel(WireModel):
    """An API token as listed: its prefix tells it apart, its secret is never shown again."""

    id: str
    username: str
    name: str
    role: Role
    prefix: str
    created: Timestamp
    expires: Timestamp | None
    revoked: Timestamp | None
    last_used: Timestamp | None

    @classmethod
    def from_record(cls, token: TokenRecord) -> TokenModel:
        return cls(id=token.id, username=token.username, name=token.name, role=token.role,
                   prefix=token.prefix, created=token.created, expires=token.expires,
                   revoked=token.revoked, last_used=token.last_used)


class TokenList(WireModel):
    items: list[TokenModel]


class TokenCreateBody(WireModel):
    """A new token of `username` scoped to `role`, expiring after `expires_seconds`."""

    username: Username
    role: Role
    name: Name | None = None
    expires_seconds: int | None = Field(default=30 * 86400, ge=1, le=MAX_TOKEN_SECONDS)


class NewTokenModel(WireModel):
    """A token just created; `secret` appears here once and is stored only as a digest."""

    token: TokenModel
    secret: str


class AuditModel(WireModel):
    """One audit line."""

    id: int
    at: Timestamp
    actor: str
    actor_kind: str
    action: str
    target: str | None
    source: str | None
    detail: dict[str, Any] | None

    @classmethod
    def from_record(cls, record: AuditRecord) -> AuditModel:
        return cls(id=record.id, at=record.at, actor=record.actor, actor_kind=record.actor_kind,
                   action=record.action, target=record.target, source=record.source,
                   detail=record.detail)


class AuditPage(WireModel):
    """Audit lines newest first; pass `next_before_id` as `before_id` for the next page."""

    items: list[AuditModel]
    next_before_id: int | None = Field(default=None, ge=1, le=2**63 - 1)

