"""Signing in for the web UI: the session cookie is HttpOnly and SameSite=Strict, unsafe
requests with it need the CSRF header, signing out ends it, and failed sign-ins are
throttled per username."""

from __future__ import annotations

from typing import Any

from legato._clock import FakeClock
from legato.orchestration.accounts import AccountService
from tests.unit.server.conftest import Api

from .conftest import LOCAL, PASSWORD

LOGIN = "/api/v1/auth/login"


def sign_in(api: Api, username: str = "ops", password: str = PASSWORD) -> Any:
    return api.post(LOGIN, json={"username": username, "password": password})


def cookie_header(response: Any) -> tuple[str, str, str]:
    session, csrf = response.cookies["legato_session"], response.cookies["legato_csrf"]
    return session, csrf, f"legato_session={session}; legato_csrf={csrf}"


def test_sign_in_sets_an_httponly_strict_session_and_a_readable_csrf_cookie(api: Api) -> None:
    response = sign_in(api)
    assert response.status_code == 200 and response.json() == {"username": "ops",
                                                               "role": "operator"}
    cookies = {c.split("=", 1)[0]: c.lower() for c in response.headers.get_list("set-cookie")}
    assert "httponly" in cookies["legato_session"] and "samesite=strict" in cookies["legato_session"]
    assert "httponly" not in cookies["legato_csrf"] and "samesite=strict" in cookies["legato_csrf"]
    _, _, cookie = cookie_header(response)
    assert api.get("/api/v1/auth/me", headers={"Cookie": cookie}).json()["username"] == "ops"


def test_unsafe_requests_with_the_session_need_the_matching_csrf_header(api: Api) -> None:
    _, csrf, cookie = cookie_header(sign_in(api))
    path = "/api/v1/flow-runs/abc123/cancel"
    refused = api.post(path, headers={"Cookie": cookie})
    assert refused.status_code == 403 and "X-CSRF-Token" in refused.json()["detail"]
    wrong = api.post(path, headers={"Cookie": cookie, "X-CSRF-Token": csrf + "x"})
    assert wrong.status_code == 403
    allowed = api.post(path, headers={"Cookie": cookie, "X-CSRF-Token": csrf})
    assert allowed.status_code == 404  # through the door; the run does not exist


def test_a_csrf_token_of_another_session_is_refused(api: Api) -> None:
    _, _, cookie = cookie_header(sign_in(api))
    _, other_csrf, _ = cookie_header(sign_in(api))
    forged = f"{cookie.split(';')[0]}; legato_csrf={other_csrf}"
    response = api.post("/api/v1/flow-runs/abc123/cancel",
                        headers={"Cookie": forged, "X-CSRF-Token": other_csrf})
    assert response.status_code == 403


def test_sign_out_ends_the_session_and_clears_the_cookies(api: Api) -> None:
    _, csrf, cookie = cookie_header(sign_in(api))
    out = api.post("/api/v1/auth/logout", headers={"Cookie": cookie, "X-CSRF-Token": csrf})
    assert out.status_code == 204
    assert any("legato_session=" in c and "max-age=0" in c.lower()
               for c in out.headers.get_list("set-cookie"))
    after = api.get("/api/v1/auth/me", headers={"Cookie": cookie})
    assert after.status_code == 401 and after.headers["content-type"] == "application/problem+json"


def test_wrong_passwords_are_throttled_per_username_then_forgiven_after_the_window(
    api: Api, clock: FakeClock, accounts: AccountService
) -> None:
    for _ in range(5):
        assert sign_in(api, password="not the password").status_code == 401
    blocked = sign_in(api)
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
    assert blocked.json()["retry_after"] == int(blocked.headers["retry-after"])
    assert sign_in(api, username="eve").status_code == 200
    clock.advance(301)
    assert sign_in(api).status_code == 200
    assert [x.action for x in accounts.list_audit(limit=1)] == ["auth.login"]


def test_disabled_users_cannot_sign_in_and_lose_their_sessions(
    api: Api, accounts: AccountService
) -> None:
    _, _, cookie = cookie_header(sign_in(api, "eve"))
    accounts.set_disabled("eve", True, by=LOCAL)
    assert api.get("/api/v1/auth/me", headers={"Cookie": cookie}).status_code == 401
    assert sign_in(api, "eve").status_code == 401
