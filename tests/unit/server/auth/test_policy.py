"""The policy table covers the API exactly: every operation in the OpenAPI document has a
minimum role (a new route without one fails here), and no rule names a route that is gone."""

from __future__ import annotations

from legato.core.auth import Role
from legato.server.app import create_app
from legato.server.auth.policy import ROUTE_RULES, is_public_path, rule_for
from legato.testing.memory import InMemoryBackend


def openapi_operations() -> set[tuple[str, str]]:
    document = create_app(InMemoryBackend()).openapi()
    return {(method.upper(), path) for path, ops in document["paths"].items() for method in ops}


def test_every_operation_of_the_api_has_a_rule() -> None:
    missing = sorted(openapi_operations() - set(ROUTE_RULES))
    assert not missing, (
        f"add these operations to ROUTE_RULES in legato/server/auth/policy.py: {missing}"
    )


def test_no_rule_names_an_operation_that_does_not_exist() -> None:
    assert sorted(set(ROUTE_RULES) - openapi_operations()) == []


def test_only_health_readiness_and_sign_in_are_public_api_operations() -> None:
    public = sorted(key for key, rule in ROUTE_RULES.items() if rule.role is None)
    assert public == [("GET", "/api/v1/health"), ("GET", "/api/v1/ready"),
                      ("POST", "/api/v1/auth/login")]


def test_reads_need_a_viewer_and_changes_more() -> None:
    for (method, path), rule in ROUTE_RULES.items():
        if rule.role is None:
            continue
        if method == "GET" and path not in ("/api/v1/users", "/api/v1/tokens", "/api/v1/audit"):
            assert rule.role is Role.VIEWER, (method, path)
        elif not path.startswith("/api/v1/auth/"):
            assert rule.role in (Role.OPERATOR, Role.ADMIN), (method, path)


def test_unknown_operations_need_admin() -> None:
    assert rule_for("DELETE", "/api/v1/everything").role is Role.ADMIN
    assert rule_for("HEAD", "/api/v1/flow-runs").role is Role.VIEWER


def test_public_paths_are_exact_and_assets_cannot_climb_out() -> None:
    assert is_public_path("/api/v1/health") and is_public_path("/assets/app-1a2b.js")
    assert not is_public_path("/api/v1/health/x") and not is_public_path("/api/v1/healthz")
    assert not is_public_path("/assets/../api/v1/flow-runs")
    assert not is_public_path("/api/v1/openapi.json")
