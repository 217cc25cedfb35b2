"""Administration routes (admin role): users, API tokens and the audit log. Every change
goes through the accounts service, which audits it with the admin who made it."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Query

from legato.errors import ParameterError
from legato.schemas.api import DEFAULT_PAGE, MAX_PAGE
from legato.schemas.auth import (
    AuditModel,
    AuditPage,
    NewTokenModel,
    TokenCreateBody,
    TokenList,
    TokenModel,
    UserCreateBody,
    UserList,
    UserModel,
    UserUpdateBody,
)
from legato.schemas.fields import ID_PATTERN, MAX_ID, MAX_NAME
from legato.server.auth.gate import AccountsDep, PrincipalDep
from legato.server.params import CONFLICT, NOT_FOUND, NOT_FOUND_OR_CONFLICT

router = APIRouter(tags=["administration"])
UsernamePath = Annotated[str, Path(min_length=1, max_length=64, description="A username.")]
TokenId = Annotated[str, Path(pattern=ID_PATTERN, max_length=MAX_ID, description="A token id.")]


@router.get("/users", response_model=UserList)
def list_users(accounts: AccountsDep) -> UserList:
    """Every user, by name."""
    return UserList(items=[UserModel.from_record(u) for u in accounts.list_users()])


@router.post("/users", response_model=UserModel, status_code=201, responses=CONFLICT)
def create_user(body: UserCreateBody, accounts: AccountsDep, principal: PrincipalDep) -> UserModel:
    """Add a user with a password and a role."""
    user = accounts.create_user(body.username, body.password, body.role, by=principal)
    return UserModel.from_record(user)


@router.patch("/users/{username}", response_model=UserModel, responses=NOT_FOUND_OR_CONFLICT)
def update_user(
    username: UsernamePath, body: UserUpdateBody, accounts: AccountsDep, principal: PrincipalDep
) -> UserModel:
    """Change a user's role, disable or enable them, or set a new password."""
    if body.role is None and body.disabled is None and body.password is None:
        raise ParameterError(
            f"the change to user {username!r} is empty; send role, disabled or password."
        )
    user = accounts.read_user(username)
    if body.password is not None:
        user = accounts.set_password(username, body.password, by=principal)
    if body.role is not None and body.role is not user.role:
        user = accounts.set_role(username, body.role, by=principal)
    if body.disabled is not None and body.disabled != user.disabled:
        user = accounts.set_disabled(username, body.disabled, by=principal)
    return UserModel.from_record(user)


@router.get("/tokens", response_model=TokenList, responses=NOT_FOUND)
def list_tokens(
    accounts: AccountsDep,
    username: Annotated[str | None, Query(max_length=64)] = None,
) -> TokenList:
    """API tokens, newest first (of one user with `username`); never their secrets."""
    return TokenList(items=[TokenModel.from_record(t) for t in accounts.list_tokens(username)])


@router.post("/tokens", response_model=NewTokenModel, status_code=201, responses=NOT_FOUND)
def create_token(
    body: TokenCreateBody, accounts: AccountsDep, principal: PrincipalDep
) -> NewTokenModel:
    """Create an API token; its secret is in this answer only."""
    expires = None if body.expires_seconds is None else timedelta(seconds=body.expires_seconds)
    new = accounts.create_token(body.username, body.role, by=principal, name=body.name or "",
                                expires_in=expires)
    return NewTokenModel(token=TokenModel.from_record(new.record), secret=new.secret)


@router.post("/tokens/{token_id}/revoke", response_model=TokenModel, responses=NOT_FOUND)
def revoke_token(token_id: TokenId, accounts: AccountsDep, principal: PrincipalDep) -> TokenModel:
    """Revoke a token; requests with it are refused from now on."""
    return TokenModel.from_record(accounts.revoke_token(token_id, by=principal))


@router.get("/audit", response_model=AuditPage)
def list_audit(
    accounts: AccountsDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
    before_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    actor: Annotated[str | None, Query(max_length=MAX_NAME)] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
) -> AuditPage:
    """The audit log, newest first, a page at a time (`next_before_id` continues it)."""
    items = accounts.list_audit(limit=limit, before_id=before_id, actor=actor, action=action)
    next_before = items[-1].id if len(items) == limit else None
    return AuditPage(items=[AuditModel.from_record(r) for r in items],
                     next_before_id=next_before)
