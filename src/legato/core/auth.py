"""The access-control model: roles and their order, who is making a request (`Principal`),
and the records of users, API tokens, sessions and the audit log. Pure data and rules; the
store keeps them and the server enforces them."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from legato.errors import ParameterError

USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
_DURATION = re.compile(r"^\s*(\d{1,6})\s*([smhdw])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


class Role(enum.StrEnum):
    """What a user or token may do; each role includes everything of the roles below it."""

    VIEWER = "viewer"
    OPERATOR = "operator"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def allows(self, required: Role) -> bool:
        """Whether this role may do what needs `required`.

        >>> Role.OPERATOR.allows(Role.VIEWER), Role.VIEWER.allows(Role.OPERATOR)
        (True, False)
        """
        return self.rank >= required.rank

    @classmethod
    def parse(cls, value: str, where: str = "role") -> Role:
        """The role named `value`, or a ParameterError naming the choices."""
        try:
            return cls(value.strip().lower())
        except ValueError:
            raise ParameterError(
                f"{where} {value!r} is not a role; use one of admin, operator or viewer."
            ) from None


_RANKS = {Role.VIEWER: 0, Role.OPERATOR: 1, Role.ADMIN: 2}


class PrincipalKind(enum.StrEnum):
    """How a request proved who it is."""

    USER = "user"  # a browser session after signing in
    TOKEN = "token"  # an API token (Authorization: Bearer)
    ANONYMOUS = "anonymous"  # authentication is off (embedded, loopback only)
    LOCAL = "local"  # a command run on the server's machine against its database


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is making a request and with which role; `source` is where it came from."""

    name: str
    role: Role
    kind: PrincipalKind
    user_id: str | None = None
    token_id: str | None = None
    source: str | None = None

    @property
    def actor(self) -> str:
        """The name the audit log records: the user, and which token for token requests."""
        if self.kind is PrincipalKind.TOKEN and self.token_id:
            return f"{self.name} (token {self.token_id})"
        return self.name


ANONYMOUS = Principal("anonymous", Role.ADMIN, PrincipalKind.ANONYMOUS)


@dataclass(frozen=True, slots=True)
class UserRecord:
    """A stored user; the password hash never leaves the store layer through this record."""

    id: str
    username: str
    role: Role
    disabled: bool
    created: datetime
    updated: datetime


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """A stored API token (only its digest is kept); `prefix` identifies it in listings."""

    id: str
    user_id: str
    username: str
    name: str
    role: Role
    prefix: str
    created: datetime
    expires: datetime | None
    revoked: datetime | None
    last_used: datetime | None

    def usable_at(self, now: datetime) -> bool:
        return self.revoked is None and (self.expires is None or now < self.expires)


@dataclass(frozen=True, slots=True)
class NewToken:
    """A token just created: `secret` is shown once and never stored."""

    record: TokenRecord
    secret: str


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One line of the audit log: who did what to which target, when, from where."""

    id: int
    at: datetime
    actor: str
    actor_kind: str
    action: str
    target: str | None
    source: str | None
    detail: dict[str, Any] | None


def check_username(username: str) -> str:
    """`username` if valid, else a ParameterError that says what a username may contain."""
    if not USERNAME_PATTERN.match(username):
        raise ParameterError(
            f"username {username!r} is invalid; use 1 to 64 letters, digits, '_', '.', '@' "
            "or '-', starting with a letter or digit."
        )
    return username


def check_password(password: str) -> str:
    """`password` if long enough, else a ParameterError with the bound."""
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise ParameterError(
            f"the password has {len(password)} characters; use {MIN_PASSWORD_LENGTH} to "
            f"{MAX_PASSWORD_LENGTH}."
        )
    return password


def parse_duration(text: str, where: str = "--expires") -> timedelta:
    """A duration like `30d`, `12h`, `90m`, `2w` or `45s`.

    >>> parse_duration("30d")
    datetime.timedelta(days=30)
    """
    match = _DURATION.match(text)
    if not match or int(match.group(1)) == 0:
        raise ParameterError(
            f"{where} {text!r} is not a duration; use a positive number and a unit, such as "
            "30d, 12h, 90m or 2w."
        )
    return timedelta(seconds=int(match.group(1)) * _UNIT_SECONDS[match.group(2)])
