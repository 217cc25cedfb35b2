"""The accounts service on SQLite and PostgreSQL: users, tokens scoped to a role, expiring
and revocable, sessions, the last admin kept, and an audit line for every change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from legato._clock import FakeClock
from legato.core.auth import Principal, PrincipalKind, Role
from legato.errors import Conflict, NotFound, ParameterError, Unauthenticated
from legato.orchestration.accounts import SESSION_LIFETIME, AccountService
from legato.store.database import Database

T0 = datetime(2026, 5, 1, 9, tzinfo=UTC)
LOCAL = Principal("ops@host", Role.ADMIN, PrincipalKind.LOCAL, source="cli")
PASSWORD = "correct horse battery"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def accounts(any_db: Database, clock: FakeClock) -> AccountService:
    service = AccountService(any_db, clock)
    service.create_user("root", PASSWORD, Role.ADMIN, by=LOCAL)
    return service


def test_created_user_is_listed_without_password_and_duplicates_conflict(
    accounts: AccountService,
) -> None:
    accounts.create_user("ann", PASSWORD, Role.VIEWER, by=LOCAL)
    assert [(u.username, u.role) for u in accounts.list_users()] == [
        ("ann", Role.VIEWER), ("root", Role.ADMIN)
    ]
    with pytest.raises(Conflict, match="user 'ann' already exists"):
        accounts.create_user("ann", PASSWORD, Role.ADMIN, by=LOCAL)


def test_password_check_accepts_only_the_right_password_of_an_enabled_user(
    accounts: AccountService,
) -> None:
    assert accounts.check_password("root", PASSWORD) is not None
    assert accounts.check_password("root", PASSWORD + "x") is None
    assert accounts.check_password("nobody", PASSWORD) is None
    accounts.create_user("ann", PASSWORD, Role.VIEWER, by=LOCAL)
    accounts.set_disabled("ann", True, by=LOCAL)
    assert accounts.check_password("ann", PASSWORD) is None
    accounts.set_password("ann", "another password", by=LOCAL)
    accounts.set_disabled("ann", False, by=LOCAL)
    assert accounts.check_password("ann", "another password") is not None


def test_token_authenticates_with_its_role_until_it_expires(
    accounts: AccountService, clock: FakeClock
) -> None:
    new = accounts.create_token("root", Role.OPERATOR, by=LOCAL, name="ci",
                                expires_in=timedelta(days=30))
    principal = accounts.authenticate_token(new.secret, "10.0.0.7")
    assert (principal.name, principal.role, principal.kind) == ("root", Role.OPERATOR,
                                                                PrincipalKind.TOKEN)
    assert principal.token_id == new.record.id and principal.source == "10.0.0.7"
    clock.advance(timedelta(days=30).total_seconds())
    with pytest.raises(Unauthenticated, match="has expired"):
        accounts.authenticate_token(new.secret)


def test_revoked_wrong_and_disabled_users_tokens_are_refused(accounts: AccountService) -> None:
    accounts.create_user("ci", PASSWORD, Role.OPERATOR, by=LOCAL)
    kept = accounts.create_token("ci", Role.OPERATOR, by=LOCAL)
    revoked = accounts.create_token("ci", Role.VIEWER, by=LOCAL)
    accounts.revoke_token(revoked.record.id, by=LOCAL)
    with pytest.raises(Unauthenticated, match="was revoked"):
        accounts.authenticate_token(revoked.secret)
    with pytest.raises(Unauthenticated, match="not valid"):
        accounts.authenticate_token(kept.secret + "x")
    accounts.set_disabled("ci", True, by=LOCAL)
    with pytest.raises(Unauthenticated, match="'ci' is disabled"):
        accounts.authenticate_token(kept.secret)


def test_a_token_cannot_exceed_its_user_and_follows_a_demotion(
    accounts: AccountService,
) -> None:
    accounts.create_user("ann", PASSWORD, Role.OPERATOR, by=LOCAL)
    with pytest.raises(ParameterError, match="is operator and cannot hold a admin token"):
        accounts.create_token("ann", Role.ADMIN, by=LOCAL)
    token = accounts.create_token("ann", Role.OPERATOR, by=LOCAL)
    accounts.set_role("ann", Role.VIEWER, by=LOCAL)
    assert accounts.authenticate_token(token.secret).role is Role.VIEWER


def test_only_the_digest_of_a_token_is_stored(accounts: AccountService, any_db: Database) -> None:
    new = accounts.create_token("root", Role.ADMIN, by=LOCAL)
    with any_db.reading() as conn:
        dumped = repr(conn.exec_driver_sql("SELECT * FROM api_tokens").all())
    assert new.secret not in dumped and new.record.prefix in dumped
    listed = accounts.list_tokens("root")
    assert [t.id for t in listed] == [new.record.id]


def test_the_last_enabled_admin_can_be_neither_demoted_nor_disabled(
    accounts: AccountService,
) -> None:
    with pytest.raises(Conflict, match="would leave no enabled admin"):
        accounts.set_role("root", Role.OPERATOR, by=LOCAL)
    with pytest.raises(Conflict, match="would leave no enabled admin"):
        accounts.set_disabled("root", True, by=LOCAL)
    assert accounts.read_user("root").role is Role.ADMIN
    accounts.create_user("second", PASSWORD, Role.ADMIN, by=LOCAL)
    assert accounts.set_role("root", Role.VIEWER, by=LOCAL).role is Role.VIEWER


def test_unknown_users_and_tokens_are_not_found_with_a_hint(accounts: AccountService) -> None:
    with pytest.raises(NotFound, match="legato users ls"):
        accounts.set_role("ghost", Role.VIEWER, by=LOCAL)
    with pytest.raises(NotFound, match="legato tokens ls"):
        accounts.revoke_token("nope", by=LOCAL)


def test_sessions_last_their_lifetime_and_end_on_sign_out_or_role_change(
    accounts: AccountService, clock: FakeClock
) -> None:
    user = accounts.check_password("root", PASSWORD)
    assert user is not None
    signed = accounts.sign_in(user, "127.0.0.1")
    principal, _ = accounts.authenticate_session(signed.session)
    assert (principal.name, principal.kind) == ("root", PrincipalKind.USER)
    accounts.sign_out(signed.session, principal)
    with pytest.raises(Unauthenticated):
        accounts.authenticate_session(signed.session)
    again = accounts.sign_in(user)
    clock.advance(SESSION_LIFETIME.total_seconds())
    with pytest.raises(Unauthenticated, match="sign in again"):
        accounts.authenticate_session(again.session)
    third = accounts.sign_in(user)
    accounts.create_user("other", PASSWORD, Role.ADMIN, by=LOCAL)
    accounts.set_role("root", Role.OPERATOR, by=LOCAL)
    with pytest.raises(Unauthenticated):
        accounts.authenticate_session(third.session)


def test_every_change_is_in_the_audit_log_newest_first_and_paged(
    accounts: AccountService,
) -> None:
    token = accounts.create_token("root", Role.VIEWER, by=LOCAL)
    accounts.revoke_token(token.record.id, by=LOCAL)
    lines = accounts.list_audit(limit=10)
    assert [line.action for line in lines] == ["token.revoke", "token.create", "user.create"]
    assert {line.actor for line in lines} == {"ops@host"}
    assert lines[0].target == token.record.id and lines[0].source == "cli"
    assert lines[2].detail == {"role": "admin"}
    older = accounts.list_audit(limit=2, before_id=lines[1].id)
    assert [line.action for line in older] == ["user.create"]
    assert [x.action for x in accounts.list_audit(action="token.create")] == ["token.create"]
    with pytest.raises(ParameterError, match="limit=0"):
        accounts.list_audit(limit=0)
