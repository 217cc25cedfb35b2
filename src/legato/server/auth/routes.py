"""Routes of signing in and out for the web UI: POST /auth/login sets the HttpOnly session
cookie and the readable CSRF cookie, POST /auth/logout ends the session, GET /auth/me says
who the credentials belong to."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from legato.errors import Unauthenticated
from legato.orchestration.accounts import SESSION_LIFETIME
from legato.schemas.auth import LoginBody, MeModel
from legato.server.auth.gate import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    SESSION_KEY,
    AccountsDep,
    PrincipalDep,
    auth_state,
    client_address,
)
from legato.server.params import TOO_MANY_ATTEMPTS

router = APIRouter(tags=["auth"])


@router.post("/auth/login", response_model=MeModel, responses=TOO_MANY_ATTEMPTS)
def login(body: LoginBody, request: Request, response: Response, accounts: AccountsDep) -> MeModel:
    """Sign in with a username and password: sets the `legato_session` cookie (HttpOnly,
    SameSite=Strict) and the `legato_csrf` cookie, whose value unsafe requests must send
    in the X-CSRF-Token header."""
    throttle = auth_state(request.app).throttle
    source = client_address(request.scope)
    throttle.check(body.username, source)
    user = accounts.check_password(body.username, body.password)
    if user is None:
        throttle.failed(body.username, source)
        raise Unauthenticated("the username or password is wrong; check both and try again.")
    throttle.succeeded(body.username)
    signed_in = accounts.sign_in(user, source)
    secure = request.url.scheme == "https"
    max_age = int(SESSION_LIFETIME.total_seconds())
    response.set_cookie(SESSION_COOKIE, signed_in.session, max_age=max_age, path="/",
                        secure=secure, httponly=True, samesite="strict")
    response.set_cookie(CSRF_COOKIE, signed_in.csrf, max_age=max_age, path="/",
                        secure=secure, httponly=False, samesite="strict")
    return MeModel(username=user.username, role=user.role)


@router.post("/auth/logout", status_code=204)
def logout(request: Request, principal: PrincipalDep, accounts: AccountsDep) -> Response:
    """End the browser session of the cookie (a no-op for token requests) and clear the
    cookies."""
    session = request.scope.get(SESSION_KEY)
    if isinstance(session, str):
        accounts.sign_out(session, principal)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    response.delete_cookie(CSRF_COOKIE, path="/", samesite="strict")
    return response


@router.get("/auth/me", response_model=MeModel)
def me(principal: PrincipalDep) -> MeModel:
    """The username and role of the request's credentials; 401 without them."""
    return MeModel(username=principal.name, role=principal.role)
