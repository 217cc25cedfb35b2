"""Deny by default, walked over the whole OpenAPI document: without credentials, with a
wrong, expired or revoked token, and with a role below the route's, every operation is
refused with a 401 or 403 problem; the public paths answer; audited operations leave a
line; with authentication off everything is open to the loopback default."""

from __future__ import annotations

import re
from typing import Any

import pytest

from legato.core.auth import Role
from legato.orchestration.accounts import AccountService
from legato.orchestration.local import LocalBackend
from legato.server.app import create_app
from legato.server.auth.policy import ROUTE_RULES
from tests.unit.server.conftest import Api

from .conftest import Tokens, bearer

PROBLEM = "application/problem+json"


def concrete(path: str) -> str:
    """A request path for a template: every parameter becomes a well-formed id."""
    return re.sub(r"\{[^}]+\}", "abc123", path)


def operations(*, at_least: Role | None = None) -> list[tuple[str, str]]:
    return sorted(
        key for key, rule in ROUTE_RULES.items()
        if rule.role is not None and (at_least is None or rule.role.rank >= at_least.rank)
    )


def call(api: Api, method: str, path: str, headers: dict[str, str] | None = None) -> Any:
    body: dict[str, Any] | None = None if method in ("GET", "DELETE") else {}
    return api.request(method, concrete(path), json=body, headers=headers or {})


def assert_problem(response: Any, status: int) -> None:
    assert response.status_code == status, (response.request.url, response.text)
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["status"] == status and response.json()["detail"]


def test_every_operation_without_credentials_is_401(api: Api) -> None:
    for method, path in operations():
        response = call(api, method, path)
        assert_problem(response, 401)
        assert response.headers["www-authenticate"].startswith("Bearer")
    assert_problem(api.get("/api/v1/openapi.json"), 401)
    assert_problem(api.get("/api/v1/docs"), 401)
    assert_problem(api.get("/api/v1/no-such-thing"), 401)


@pytest.mark.parametrize("which", ["wrong", "expired", "revoked", "malformed"])
def test_every_operation_with_bad_credentials_is_401(api: Api, tokens: Tokens, which: str) -> None:
    headers = {
        "wrong": bearer("lgt_" + "x" * 43),
        "expired": bearer(tokens.expired),
        "revoked": bearer(tokens.revoked),
        "malformed": {"Authorization": f"Basic {tokens.admin}"},
    }[which]
    for method, path in operations():
        assert_problem(call(api, method, path, headers), 401)


@pytest.mark.parametrize("role", [Role.VIEWER, Role.OPERATOR])
def test_every_operation_above_the_tokens_role_is_403(
    api: Api, tokens: Tokens, role: Role
) -> None:
    above = Role.OPERATOR if role is Role.VIEWER else Role.ADMIN
    for method, path in operations(at_least=above):
        response = call(api, method, path, bearer(tokens.of(role)))
        assert_problem(response, 403)
        assert f"has the {role.value} role" in response.json()["detail"]


def test_operations_at_or_below_the_role_get_past_the_door(api: Api, tokens: Tokens) -> None:
    for role in Role:
        for (method, path), rule in ROUTE_RULES.items():
            if rule.role is None or not role.allows(rule.role):
                continue
            response = call(api, method, path, bearer(tokens.of(role)))
            assert response.status_code not in (401, 403), (role, method, path, response.text)


def test_public_paths_answer_without_credentials(api: Api) -> None:
    assert api.get("/api/v1/health").json() == {"status": "ok"}
    assert api.get("/api/v1/ready").json() == {"status": "ready"}
    assert_problem(api.post("/api/v1/auth/login", json={"username": "x", "password": "y"}), 401)


def test_viewer_reads_and_docs_are_served(api: Api, tokens: Tokens) -> None:
    assert api.get("/api/v1/flow-runs", headers=bearer(tokens.viewer)).json()["items"] == []
    assert api.get("/api/v1/openapi.json", headers=bearer(tokens.viewer)).status_code == 200
    assert api.get("/api/v1/auth/me", headers=bearer(tokens.operator)).json() == {
        "username": "ops", "role": "operator"
    }


def test_operator_actions_are_audited_with_the_actor_and_source(
    api: Api, tokens: Tokens, accounts: AccountService, local: LocalBackend
) -> None:
    response = api.post("/api/v1/flow-runs/nope/cancel", headers=bearer(tokens.operator))
    assert response.status_code == 404  # refused operations leave no line
    assert accounts.list_audit(action="flow-run.cancel") == []
    deployment = api.post(
        "/api/v1/deployments",
        headers=bearer(tokens.operator),
        json={"name": "nightly", "flow_name": "etl", "entrypoint": "etl.py:etl"},
    )
    assert deployment.status_code in (200, 201), deployment.text
    [line] = accounts.list_audit(action="deployment.create")
    assert line.actor.startswith("ops (token ") and line.actor_kind == "token"
    assert line.target == "/deployments" and line.source == "127.0.0.1"


def test_admin_manages_users_and_tokens_over_the_api(api: Api, tokens: Tokens) -> None:
    admin = bearer(tokens.admin)
    created = api.post("/api/v1/users", headers=admin,
                       json={"username": "ann", "password": "a long password", "role": "operator"})
    assert created.status_code == 201 and "password" not in created.json()
    made = api.post("/api/v1/tokens", headers=admin,
                    json={"username": "ann", "role": "viewer", "expires_seconds": 3600})
    assert made.status_code == 201
    secret, token_id = made.json()["secret"], made.json()["token"]["id"]
    assert api.get("/api/v1/auth/me", headers=bearer(secret)).json()["username"] == "ann"
    listed = api.get("/api/v1/tokens", headers=admin, params={"username": "ann"}).json()
    assert [t["id"] for t in listed["items"]] == [token_id]
    assert secret not in str(listed)
    assert api.post(f"/api/v1/tokens/{token_id}/revoke", headers=admin).status_code == 200
    assert_problem(api.get("/api/v1/auth/me", headers=bearer(secret)), 401)
    changed = api.request("PATCH", "/api/v1/users/ann", headers=admin, json={"disabled": True})
    assert changed.json()["disabled"] is True
    assert_problem(api.request("PATCH", "/api/v1/users/ann", headers=admin, json={}), 422)
    audit = api.get("/api/v1/audit", headers=admin, params={"limit": 3}).json()
    assert [x["action"] for x in audit["items"]] == ["user.disable", "token.revoke",
                                                     "token.create"]
    assert audit["next_before_id"] == audit["items"][-1]["id"]


def test_with_auth_off_everything_is_open_and_still_audited(
    local: LocalBackend, accounts: AccountService
) -> None:
    api = Api(create_app(local))
    assert api.get("/api/v1/users").status_code == 200
    assert api.get("/api/v1/auth/me").json() == {"username": "anonymous", "role": "admin"}
    api.post("/api/v1/deployments",
             json={"name": "nightly", "flow_name": "etl", "entrypoint": "etl.py:etl"})
    [line] = accounts.list_audit(action="deployment.create")
    assert line.actor == "anonymous" and line.actor_kind == "anonymous"
