"""The secrets and variables API: a secret's value goes in and comes back only from its
value endpoint (never from writes, listings or shows), variables keep JSON values, errors
are problems naming the object, and stored rows hold ciphertext. On SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from legato.orchestration.keyring import Keyring, new_key
from legato.orchestration.local import LocalBackend
from legato.server.app import create_app
from legato.store.database import Database
from legato.store.tables import secrets
from tests.unit.server.conftest import Api

P = "/api/v1"
VALUE = "pg-password-7Hq2!"


@pytest.fixture
def backend(any_db: Database) -> LocalBackend:
    return LocalBackend(any_db, keyring=Keyring([new_key()]))


@pytest.fixture
def api(backend: LocalBackend) -> Api:
    return Api(create_app(backend, ui_dir=None))


def strings(document: Any) -> list[str]:
    """Every string in a JSON document, keys included."""
    if isinstance(document, str):
        return [document]
    if isinstance(document, dict):
        return [s for k, v in document.items() for s in (k, *strings(v))]
    if isinstance(document, list):
        return [s for item in document for s in strings(item)]
    return []


def test_secret_value_is_never_returned_by_writes_lists_or_shows(
    api: Api, backend: LocalBackend
) -> None:
    created = api.request("PUT", f"{P}/secrets/db-password", json={"value": VALUE})
    assert created.status_code == 200, created.text
    assert set(created.json()) == {"name", "created", "updated"}
    updated = api.request("PUT", f"{P}/secrets/db-password", json={"value": VALUE + "2"})
    listed = api.get(f"{P}/secrets")
    shown = api.get(f"{P}/secrets/db-password")
    for response in (created, updated, listed, shown):
        assert response.status_code == 200
        assert not any(VALUE in s for s in strings(response.json())), response.text
        assert VALUE not in response.text
    assert [item["name"] for item in listed.json()["items"]] == ["db-password"]
    with backend.db.reading() as conn:
        stored = conn.execute(select(secrets.c.ciphertext)).scalar_one()
    assert VALUE.encode() not in bytes(stored)


def test_value_endpoint_returns_the_value_uncached(api: Api) -> None:
    api.request("PUT", f"{P}/secrets/token", json={"value": VALUE})
    answer = api.post(f"{P}/secrets/token/value")
    assert answer.status_code == 200
    assert answer.json() == {"name": "token", "value": VALUE}
    assert answer.headers["cache-control"] == "no-store"


def test_unknown_secret_is_a_404_problem_naming_it(api: Api) -> None:
    for response in (api.get(f"{P}/secrets/nope"), api.post(f"{P}/secrets/nope/value"),
                     api.request("DELETE", f"{P}/secrets/nope")):
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "secret 'nope' does not exist" in response.json()["detail"]


def test_secret_without_overwrite_is_a_409_and_keeps_the_value(api: Api) -> None:
    api.request("PUT", f"{P}/secrets/token", json={"value": "first-value"})
    again = api.request("PUT", f"{P}/secrets/token",
                        json={"value": "second-value", "overwrite": False})
    assert again.status_code == 409
    assert "second-value" not in again.text
    assert api.post(f"{P}/secrets/token/value").json()["value"] == "first-value"


def test_invalid_secret_body_never_echoes_the_value(api: Api) -> None:
    bad = api.request("PUT", f"{P}/secrets/token", json={"value": VALUE, "extra": VALUE})
    assert bad.status_code == 422
    assert VALUE not in bad.text
    bad_name = api.request("PUT", f"{P}/secrets/has%20space", json={"value": VALUE})
    assert bad_name.status_code == 422 and VALUE not in bad_name.text
    assert "secret name 'has space' is not valid" in bad_name.json()["detail"]


def test_deleted_secret_is_gone(api: Api) -> None:
    api.request("PUT", f"{P}/secrets/token", json={"value": VALUE})
    assert api.request("DELETE", f"{P}/secrets/token").status_code == 204
    assert api.get(f"{P}/secrets").json()["items"] == []


def test_variables_crud_with_json_values(api: Api) -> None:
    value = {"batch": 500, "targets": ["a", "b"], "dry_run": False}
    put = api.request("PUT", f"{P}/variables/etl", json={"value": value})
    assert put.status_code == 200 and put.json()["value"] == value
    api.request("PUT", f"{P}/variables/env", json={"value": "prod"})
    assert api.get(f"{P}/variables/etl").json()["value"] == value
    page = api.get(f"{P}/variables", params={"limit": 1}).json()
    assert [i["name"] for i in page["items"]] == ["env"] and page["next_offset"] == 1
    refused = api.request("PUT", f"{P}/variables/env", json={"value": "dev", "overwrite": False})
    assert refused.status_code == 409
    assert api.request("DELETE", f"{P}/variables/env").status_code == 204
    missing = api.get(f"{P}/variables/env")
    assert missing.status_code == 404 and "variable 'env'" in missing.json()["detail"]
