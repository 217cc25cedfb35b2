"""Who may touch secrets and variables: viewers see names, dates and variable values but
cannot write or read a secret's value; operators (what runs and workers hold) can, and
every secret change and read and every variable change is in the audit log."""

from __future__ import annotations

import pytest

from legato.core.auth import Role
from legato.orchestration.accounts import AccountService
from legato.server.auth.policy import ROUTE_RULES
from tests.unit.server.auth.conftest import Tokens, bearer
from tests.unit.server.conftest import Api

P = "/api/v1"
VALUE = "s3cret-value-for-access"


@pytest.mark.parametrize(("method", "path", "body"), [
    ("PUT", "/secrets/db", {"value": VALUE}),
    ("DELETE", "/secrets/db", None),
    ("POST", "/secrets/db/value", None),
    ("PUT", "/variables/env", {"value": "dev"}),
    ("DELETE", "/variables/env", None),
])
def test_viewer_cannot_write_or_read_secret_values(
    api: Api, tokens: Tokens, method: str, path: str, body: object
) -> None:
    operator = bearer(tokens.operator)
    api.request("PUT", f"{P}/secrets/db", headers=operator, json={"value": VALUE})
    api.request("PUT", f"{P}/variables/env", headers=operator, json={"value": "prod"})
    refused = api.request(method, P + path, headers=bearer(tokens.viewer), json=body)
    assert refused.status_code == 403, refused.text
    assert VALUE not in refused.text
    assert api.post(f"{P}/secrets/db/value", headers=operator).json()["value"] == VALUE
    assert api.get(f"{P}/variables/env", headers=operator).json()["value"] == "prod"


def test_viewer_lists_names_without_values(api: Api, tokens: Tokens) -> None:
    api.request("PUT", f"{P}/secrets/db", headers=bearer(tokens.operator), json={"value": VALUE})
    viewer = bearer(tokens.viewer)
    listed = api.get(f"{P}/secrets", headers=viewer)
    assert listed.status_code == 200 and VALUE not in listed.text
    assert [s["name"] for s in listed.json()["items"]] == ["db"]
    assert api.get(f"{P}/secrets/db", headers=viewer).status_code == 200
    assert api.get(f"{P}/variables", headers=viewer).status_code == 200


def test_no_credentials_no_access(api: Api) -> None:
    assert api.get(f"{P}/secrets").status_code == 401
    assert api.post(f"{P}/secrets/db/value").status_code == 401


def test_secret_and_variable_operations_are_audited_without_values(
    api: Api, tokens: Tokens, accounts: AccountService
) -> None:
    operator = bearer(tokens.operator)
    api.request("PUT", f"{P}/secrets/db", headers=operator, json={"value": VALUE})
    api.post(f"{P}/secrets/db/value", headers=operator)
    api.request("DELETE", f"{P}/secrets/db", headers=operator)
    api.request("PUT", f"{P}/variables/env", headers=operator, json={"value": "prod"})
    api.request("DELETE", f"{P}/variables/env", headers=operator)
    lines = accounts.list_audit(limit=20)
    actions = [(line.action, line.target) for line in reversed(lines)
               if line.action.startswith(("secret.", "variable."))]
    assert actions == [
        ("secret.set", "/secrets/db"), ("secret.read", "/secrets/db/value"),
        ("secret.delete", "/secrets/db"), ("variable.set", "/variables/env"),
        ("variable.delete", "/variables/env"),
    ]
    assert all(VALUE not in repr(line) for line in lines)
    assert all(line.actor.startswith("ops ") for line in lines if line.action.startswith("secret"))


def test_operator_role_suffices_for_every_vault_route() -> None:
    rules = {k: v for k, v in ROUTE_RULES.items() if "/secrets" in k[1] or "/variables" in k[1]}
    assert len(rules) == 9
    assert all(rule.role in (Role.VIEWER, Role.OPERATOR) for rule in rules.values())
    assert ROUTE_RULES[("POST", f"{P}/secrets/{{name}}/value")].role is Role.OPERATOR
