"""Roles and their order, usernames, passwords, durations, password hashes and token
digests of the access-control model."""

from __future__ import annotations

from datetime import timedelta

import pytest

from legato.core.auth import (
    Principal,
    PrincipalKind,
    Role,
    check_password,
    check_username,
    parse_duration,
)
from legato.core.credentials import (
    TOKEN_PREFIX,
    digest,
    hash_password,
    new_token_secret,
    shown_prefix,
    verify_password,
)
from legato.errors import ParameterError


def test_roles_include_the_roles_below_them() -> None:
    assert Role.ADMIN.allows(Role.OPERATOR) and Role.ADMIN.allows(Role.VIEWER)
    assert Role.OPERATOR.allows(Role.VIEWER) and not Role.OPERATOR.allows(Role.ADMIN)
    assert not Role.VIEWER.allows(Role.OPERATOR)


def test_parse_role_accepts_any_case_and_names_the_choices() -> None:
    assert Role.parse(" Admin ") is Role.ADMIN
    with pytest.raises(ParameterError, match="'root' is not a role; use one of admin"):
        Role.parse("root")


@pytest.mark.parametrize("name", ["admin", "a.b@c-d_e", "X" * 64])
def test_valid_usernames(name: str) -> None:
    assert check_username(name) == name


@pytest.mark.parametrize("name", ["", "-lead", "a b", "x" * 65, "<script>", "a/b"])
def test_invalid_usernames_say_what_is_allowed(name: str) -> None:
    with pytest.raises(ParameterError, match="use 1 to 64 letters"):
        check_username(name)


def test_short_passwords_are_refused_with_the_bound() -> None:
    with pytest.raises(ParameterError, match="has 3 characters; use 8 to"):
        check_password("abc")
    assert check_password("long enough") == "long enough"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("30d", timedelta(days=30)), ("12h", timedelta(hours=12)), ("2w", timedelta(weeks=2)),
     ("90m", timedelta(minutes=90)), (" 45s ", timedelta(seconds=45))],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "30", "0d", "-1d", "3y", "1.5h"])
def test_bad_durations_name_the_option_and_examples(text: str) -> None:
    with pytest.raises(ParameterError, match=r"--expires .* is not a duration; .*30d"):
        parse_duration(text)


def test_password_hash_verifies_only_the_same_password_and_is_salted() -> None:
    first, second = hash_password("hunter2hunter2"), hash_password("hunter2hunter2")
    assert first != second
    assert verify_password("hunter2hunter2", first) and verify_password("hunter2hunter2", second)
    assert not verify_password("hunter2hunter3", first)
    assert "hunter2" not in first


@pytest.mark.parametrize("stored", ["", "md5$x", "scrypt$a$b$c$d$e", "scrypt$16384$8$1$!!$!!"])
def test_malformed_stored_hashes_never_verify(stored: str) -> None:
    assert not verify_password("anything", stored)


def test_tokens_are_random_prefixed_and_stored_as_a_digest() -> None:
    token = new_token_secret()
    assert token.startswith(TOKEN_PREFIX) and len(token) > 40
    assert token != new_token_secret()
    assert len(digest(token)) == 64 and token not in digest(token)
    assert shown_prefix(token) == token[: len(TOKEN_PREFIX) + 8]


def test_token_principals_name_their_token_in_the_audit_log() -> None:
    principal = Principal("ci", Role.OPERATOR, PrincipalKind.TOKEN, token_id="t1")
    assert principal.actor == "ci (token t1)"
    assert Principal("ann", Role.ADMIN, PrincipalKind.USER).actor == "ann"
