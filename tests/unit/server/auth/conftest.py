"""Fixtures for access-control tests: the API with authentication on over a LocalBackend on
a temp SQLite file, and an API token for each role."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from legato._clock import FakeClock
from legato.core.auth import Principal, PrincipalKind, Role
from legato.orchestration.accounts import AccountService
from legato.orchestration.local import LocalBackend, create_local_backend
from legato.server.app import create_app
from legato.settings import Settings
from tests.unit.server.conftest import Api

T0 = datetime(2026, 5, 1, 9, tzinfo=UTC)
LOCAL = Principal("ops@host", Role.ADMIN, PrincipalKind.LOCAL, source="cli")
PASSWORD = "correct horse battery"


@dataclass
class Tokens:
    admin: str
    operator: str
    viewer: str
    expired: str
    revoked: str

    def of(self, role: Role) -> str:
        return {Role.ADMIN: self.admin, Role.OPERATOR: self.operator,
                Role.VIEWER: self.viewer}[role]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def local(tmp_path: Path, clock: FakeClock) -> Iterator[LocalBackend]:
    backend = create_local_backend(Settings.from_env({"LEGATO_HOME": str(tmp_path)}), clock=clock)
    yield backend
    backend.close()


@pytest.fixture
def accounts(local: LocalBackend, clock: FakeClock) -> AccountService:
    service = AccountService(local.db, clock)
    service.create_user("root", PASSWORD, Role.ADMIN, by=LOCAL)
    service.create_user("ops", PASSWORD, Role.OPERATOR, by=LOCAL)
    service.create_user("eve", PASSWORD, Role.VIEWER, by=LOCAL)
    return service


@pytest.fixture
def tokens(accounts: AccountService, clock: FakeClock) -> Tokens:
    def make(user: str, role: Role, days: int | None = 30) -> str:
        lifetime = None if days is None else timedelta(days=days)
        return accounts.create_token(user, role, by=LOCAL, expires_in=lifetime).secret

    expired = accounts.create_token("root", Role.ADMIN, by=LOCAL, expires_in=timedelta(hours=1))
    revoked = accounts.create_token("root", Role.ADMIN, by=LOCAL)
    accounts.revoke_token(revoked.record.id, by=LOCAL)
    made = Tokens(make("root", Role.ADMIN), make("ops", Role.OPERATOR, None),
                  make("eve", Role.VIEWER), expired.secret, revoked.secret)
    clock.advance(7200)
    return made


@pytest.fixture
def api(local: LocalBackend, accounts: AccountService) -> Api:
    return Api(create_app(local, auth=True))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
