"""The API's door: `AuthMiddleware` finds out who sends each request (bearer token or
session cookie with its CSRF header) and refuses anything without valid credentials except
the public paths; `authorize`, a dependency of every route, checks the route's minimum role
in the policy table. Successful audited operations are written to the audit log."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from legato._clock import Clock
from legato.core.auth import ANONYMOUS, Principal
from legato.core.credentials import digest
from legato.errors import (
    AuthError,
    BackendUnavailable,
    LegatoError,
    PermissionDenied,
    Unauthenticated,
)
from legato.orchestration.accounts import AccountService
from legato.schemas.api import API_PREFIX
from legato.server.auth.policy import SAFE_METHODS, is_public_path, rule_for
from legato.server.auth.throttle import LoginThrottle
from legato.server.problems import from_legato_error

_log = logging.getLogger("legato.auth")

SESSION_COOKIE = "legato_session"
CSRF_COOKIE = "legato_csrf"
CSRF_HEADER = "x-csrf-token"
PRINCIPAL_KEY = "legato.principal"
AUDIT_KEY = "legato.audit"
SESSION_KEY = "legato.session"


@dataclass
class AuthState:
    """What the app knows about access control: whether it is on, the accounts service
    (None without a database: nothing can be authenticated or audited) and the throttle."""

    enabled: bool
    accounts: AccountService | None
    throttle: LoginThrottle
    clock: Clock
    extra_public: frozenset[str] = field(default_factory=frozenset)


def auth_state(app: Any) -> AuthState:
    state: AuthState = app.state.auth
    return state


def client_address(scope: Scope) -> str | None:
    client = scope.get("client")
    return str(client[0]) if client else None


def _headers(scope: Scope) -> Mapping[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


class AuthMiddleware:
    """Authenticates every HTTP request before routing (deny by default) and appends audit
    lines after successful audited operations."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = auth_state(scope["app"])
        source = client_address(scope)
        try:
            principal = await self._authenticate(state, scope, source)
        except LegatoError as error:  # refused, or the database could not be asked (503)
            await from_legato_error(Request(scope, receive), error)(scope, receive, send)
            return
        scope[PRINCIPAL_KEY] = principal
        status: list[int] = []

        async def send_and_watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(int(message["status"]))
            await send(message)

        await self.app(scope, receive, send_and_watch)
        audited = scope.get(AUDIT_KEY)
        if audited and status and 200 <= status[0] < 300 and state.accounts is not None:
            action, target = audited
            who = principal or ANONYMOUS
            try:
                await run_in_threadpool(state.accounts.record, who, action, target=target)
            except Exception:  # the change is made; a lost audit line must not hide that
                _log.exception("could not write the audit line for %s %s", action, target)

    async def _authenticate(
        self, state: AuthState, scope: Scope, source: str | None
    ) -> Principal | None:
        if not state.enabled:
            return Principal(ANONYMOUS.name, ANONYMOUS.role, ANONYMOUS.kind, source=source)
        path: str = scope["path"]
        headers = _headers(scope)
        authorization = headers.get("authorization")
        cookies = cookie_parser(headers.get("cookie", ""))
        session = cookies.get(SESSION_COOKIE)
        if is_public_path(path) or path in state.extra_public:
            # Public paths still learn who calls when told (sign-out of a signed-in user).
            if authorization is None and session is None:
                return None
            try:
                return await self._credentials(state, scope, authorization, session, cookies,
                                               headers, source)
            except AuthError:
                return None
        if authorization is None and session is None:
            raise Unauthenticated(
                "this request needs credentials; send `Authorization: Bearer <token>` (create "
                "a token with `legato tokens create`) or sign in at /api/v1/auth/login."
            )
        return await self._credentials(state, scope, authorization, session, cookies, headers,
                                       source)

    async def _credentials(
        self,
        state: AuthState,
        scope: Scope,
        authorization: str | None,
        session: str | None,
        cookies: Mapping[str, str],
        headers: Mapping[str, str],
        source: str | None,
    ) -> Principal:
        accounts = state.accounts
        if accounts is None:
            raise Unauthenticated("this server has no user database, so nobody can sign in.")
        if authorization is not None:
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise Unauthenticated(
                    "the Authorization header is not `Bearer <token>`; send the API token "
                    "as a bearer token."
                )
            # Bearer headers are never added by browsers on their own: no CSRF check.
            return await run_in_threadpool(accounts.authenticate_token, token.strip(), source)
        assert session is not None
        principal, csrf_digest = await run_in_threadpool(
            accounts.authenticate_session, session, source
        )
        scope[SESSION_KEY] = session
        if scope["method"] not in SAFE_METHODS:
            sent = headers.get(CSRF_HEADER, "")
            if not sent or sent != cookies.get(CSRF_COOKIE) or digest(sent) != csrf_digest:
                raise PermissionDenied(
                    "this change came with a session cookie but without a matching "
                    "X-CSRF-Token header; send the legato_csrf cookie's value in X-CSRF-Token."
                )
        return principal


def route_template(request: Request) -> str | None:
    """The path template of the route serving `request`, as the OpenAPI document writes it."""
    route = request.scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    if not isinstance(template, str):
        return None
    # Included routers keep their own paths; every API router is mounted under API_PREFIX.
    return template if template.startswith(API_PREFIX) else API_PREFIX + template


async def authorize(request: Request) -> None:
    """Refuse the request unless its principal's role meets the route's rule (every route
    has this dependency); note the audit action of audited operations."""
    template = route_template(request) or request.url.path
    rule = rule_for(request.method, template)
    principal: Principal | None = request.scope.get(PRINCIPAL_KEY)
    if rule.role is not None:
        if principal is None:
            raise Unauthenticated(
                "this request needs credentials; send `Authorization: Bearer <token>` or sign in "
                "at /api/v1/auth/login."
            )
        if not principal.role.allows(rule.role):
            raise PermissionDenied(
                f"{principal.actor} has the {principal.role.value} role, but "
                f"{request.method} {template} needs {rule.role.value}; "
                "use a token or user with that role."
            )
    if rule.audit is not None:
        target = request.url.path.removeprefix(API_PREFIX)
        request.scope[AUDIT_KEY] = (rule.audit, target)


def _principal(request: Request) -> Principal:
    principal: Principal | None = request.scope.get(PRINCIPAL_KEY)
    if principal is None:
        raise Unauthenticated("this request needs credentials; sign in first.")
    return principal


def _accounts(request: Request) -> AccountService:
    accounts = auth_state(request.app).accounts
    if accounts is None:
        raise BackendUnavailable(
            "this server has no user database; serve it over a database to manage accounts."
        )
    return accounts


PrincipalDep = Annotated[Principal, Depends(_principal)]
AccountsDep = Annotated[AccountService, Depends(_accounts)]
