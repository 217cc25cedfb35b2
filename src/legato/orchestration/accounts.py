"""Users, API tokens, browser sessions and the audit log: the one service that changes them
(for `legato users|tokens|audit` directly on the database, and for the server's routes) and
that turns a bearer token or session cookie into a `Principal`. Every change it makes is
written to the audit log in the same transaction."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from legato._clock import SYSTEM_CLOCK, Clock
from legato.core.auth import (
    AuditRecord,
    NewToken,
    Principal,
    PrincipalKind,
    Role,
    TokenRecord,
    UserRecord,
    check_password,
    check_username,
)
from legato.core.credentials import (
    digest,
    dummy_password_hash,
    hash_password,
    new_session_secret,
    new_token_secret,
    shown_prefix,
    verify_password,
)
from legato.core.ids import new_id
from legato.errors import Conflict, NotFound, ParameterError, Unauthenticated
from legato.store import accounts, audit
from legato.store.database import Connection, Database

_log = logging.getLogger("legato.auth")

SESSION_LIFETIME = timedelta(hours=12)
# last_used is a convenience for people reviewing tokens; writing it on every request would
# put a write on every API call, so it is refreshed at most this often per token.
LAST_USED_RESOLUTION = timedelta(minutes=1)
MAX_TOKEN_NAME = 255


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A new browser session: the cookie values are shown once and stored as digests."""

    principal: Principal
    session: str
    csrf: str
    expires: datetime


def _unknown_user(username: str) -> NotFound:
    return NotFound(
        f"there is no user {username!r}; list users with `legato users ls` or create one with "
        f"`legato users create {username} --role viewer`."
    )


class AccountService:
    """Users, tokens, sessions and the audit log over one database.

    >>> service = AccountService(Database(url))
    >>> service.create_user("admin", "s3cret-pass", Role.ADMIN, by=LOCAL)
    """

    def __init__(self, db: Database, clock: Clock = SYSTEM_CLOCK) -> None:
        self.db = db
        self.clock = clock
        self._touched: dict[str, datetime] = {}

    # -- users ----------------------------------------------------------------------
    def create_user(
        self, username: str, password: str, role: Role, *, by: Principal
    ) -> UserRecord:
        """Add a user with a hashed password; Conflict if the name is taken."""
        check_username(username)
        password_hash = hash_password(check_password(password))
        now = self.clock.now()
        user = UserRecord(new_id(), username, role, False, now, now)
        with self.db.writing() as conn:
            if accounts.read_user(conn, username) is not None:
                raise Conflict(
                    f"user {username!r} already exists; pick another name or change it with "
                    f"`legato users set-role {username} ROLE`."
                )
            accounts.insert_user(conn, user, password_hash)
            audit.append(conn, by, "user.create", now, target=username,
                         detail={"role": role.value})
        return user

    def read_user(self, username: str) -> UserRecord:
        with self.db.reading() as conn:
            user = accounts.read_user(conn, username)
        if user is None:
            raise _unknown_user(username)
        return user

    def list_users(self) -> list[UserRecord]:
        with self.db.reading() as conn:
            return accounts.list_users(conn)

    def has_active_users(self) -> bool:
        """Whether anyone can sign in at all (the server refuses --auth otherwise)."""
        with self.db.reading() as conn:
            return accounts.count_active_users(conn) > 0

    def set_role(self, username: str, role: Role, *, by: Principal) -> UserRecord:
        """Change a user's role; the last enabled admin cannot be demoted."""
        return self._change_user(username, "user.set-role", by, {"role": role.value},
                                 role=role.value)

    def set_disabled(self, username: str, disabled: bool, *, by: Principal) -> UserRecord:
        """Disable (or enable again) a user: their sessions end and their tokens stop working;
        the last enabled admin cannot be disabled."""
        action = "user.disable" if disabled else "user.enable"
        return self._change_user(username, action, by, None, disabled=disabled)

    def set_password(self, username: str, password: str, *, by: Principal) -> UserRecord:
        """Replace a user's password; their browser sessions end."""
        password_hash = hash_password(check_password(password))
        return self._change_user(username, "user.passwd", by, None, password_hash=password_hash)

    def _change_user(
        self,
        username: str,
        action: str,
        by: Principal,
        detail: dict[str, Any] | None,
        **values: Any,
    ) -> UserRecord:
        now = self.clock.now()
        with self.db.writing() as conn:
            user = accounts.read_user(conn, username)
            if user is None:
                raise _unknown_user(username)
            accounts.update_user(conn, user.id, now, **values)
            was_admin = user.role is Role.ADMIN and not user.disabled
            if was_admin and accounts.count_active_admins(conn) == 0:
                # Raising rolls the change back: someone must always be able to administer.
                raise Conflict(
                    f"{action} of {username!r} would leave no enabled admin; make another user "
                    "admin first (`legato users set-role NAME admin`)."
                )
            audit.append(conn, by, action, now, target=username, detail=detail)
            # Sessions carry the role they were opened with in nobody's mind but the
            # user's: end them on any change so the next request re-reads it.
            audit.delete_user_sessions(conn, user.id)
            changed = accounts.read_user_by_id(conn, user.id)
        assert changed is not None
        return changed

    # -- tokens ---------------------------------------------------------------------
    def create_token(
        self,
        username: str,
        role: Role,
        *,
        by: Principal,
        name: str = "",
        expires_in: timedelta | None = None,
    ) -> NewToken:
        """A new API token of `username` scoped to `role` (at most the user's own role);
        the secret is in the result only, the store keeps its digest."""
        if len(name) > MAX_TOKEN_NAME:
            raise ParameterError(
                f"token name has {len(name)} characters; use at most {MAX_TOKEN_NAME}."
            )
        secret = new_token_secret()
        now = self.clock.now()
        with self.db.writing() as conn:
            user = accounts.read_user(conn, username)
            if user is None:
                raise _unknown_user(username)
            if not user.role.allows(role):
                raise ParameterError(
                    f"user {username!r} is {user.role.value} and cannot hold a {role.value} "
                    f"token; create a token with --role {user.role.value} or lower, or change "
                    "the user's role first."
                )
            record = TokenRecord(
                id=new_id(),
                user_id=user.id,
                username=username,
                name=name,
                role=role,
                prefix=shown_prefix(secret),
                created=now,
                expires=None if expires_in is None else now + expires_in,
                revoked=None,
                last_used=None,
            )
            accounts.insert_token(conn, record, digest(secret))
            audit.append(conn, by, "token.create", now, target=record.id,
                         detail={"user": username, "role": role.value, "name": name,
                                 "expires": None if record.expires is None
                                 else record.expires.isoformat()})
        return NewToken(record, secret)

    def list_tokens(self, username: str | None = None) -> list[TokenRecord]:
        with self.db.reading() as conn:
            user_id = None
            if username is not None:
                user = accounts.read_user(conn, username)
                if user is None:
                    raise _unknown_user(username)
                user_id = user.id
            return accounts.list_tokens(conn, user_id)

    def revoke_token(self, token_id: str, *, by: Principal) -> TokenRecord:
        """Revoke a token at once; revoking twice keeps the first time."""
        now = self.clock.now()
        with self.db.writing() as conn:
            if not accounts.revoke_token(conn, token_id, now):
                raise NotFound(
                    f"there is no API token {token_id!r}; list tokens with `legato tokens ls`."
                )
            audit.append(conn, by, "token.revoke", now, target=token_id)
            token = accounts.read_token(conn, token_id)
        assert token is not None
        return token

    # -- authentication -------------------------------------------------------------
    def authenticate_token(self, secret: str, source: str | None = None) -> Principal:
        """The principal of a bearer token; Unauthenticated for an unknown, expired or revoked
        token or a disabled user. The token acts with the lower of its role and its user's."""
        now = self.clock.now()
        with self.db.reading() as conn:
            found = accounts.find_token(conn, digest(secret))
        if found is None:
            raise Unauthenticated("the API token is not valid; create one with `legato tokens "
                                  "create --user NAME --role ROLE`.")
        token, user = found
        if token.revoked is not None:
            raise Unauthenticated(f"API token {token.id} was revoked; create a new one.")
        if token.expires is not None and now >= token.expires:
            raise Unauthenticated(f"API token {token.id} has expired; create a new one.")
        if user.disabled:
            raise Unauthenticated(f"user {user.username!r} is disabled; ask an admin to enable it.")
        self._touch(token.id, now)
        role = token.role if user.role.allows(token.role) else user.role
        return Principal(user.username, role, PrincipalKind.TOKEN, user_id=user.id,
                         token_id=token.id, source=source)

    def _touch(self, token_id: str, now: datetime) -> None:
        last = self._touched.get(token_id)
        if last is not None and now - last < LAST_USED_RESOLUTION:
            return
        self._touched[token_id] = now
        try:
            with self.db.writing() as conn:
                accounts.touch_token(conn, token_id, now)
        except Exception:  # a convenience column must never fail a request
            _log.warning("could not record the last use of API token %s", token_id,
                         exc_info=True)

    def check_password(self, username: str, password: str) -> UserRecord | None:
        """The enabled user whose password this is, else None (same cost either way)."""
        with self.db.reading() as conn:
            found = accounts.read_password_hash(conn, username)
        if found is None:
            verify_password(password, dummy_password_hash())
            return None
        user, stored = found
        if not verify_password(password, stored) or user.disabled:
            return None
        return user

    def sign_in(self, user: UserRecord, source: str | None = None) -> SignedIn:
        """Open a browser session for a user whose password was checked."""
        session, csrf = new_session_secret(), new_session_secret()
        now = self.clock.now()
        expires = now + SESSION_LIFETIME
        principal = Principal(user.username, user.role, PrincipalKind.USER, user_id=user.id,
                              source=source)
        with self.db.writing() as conn:
            audit.delete_expired_sessions(conn, now)
            audit.insert_session(conn, digest(session), user.id, digest(csrf), now, expires)
            audit.append(conn, principal, "auth.login", now, target=user.username)
        return SignedIn(principal, session, csrf, expires)

    def authenticate_session(
        self, session: str, source: str | None = None
    ) -> tuple[Principal, str]:
        """The principal of a session cookie and the digest of its CSRF token."""
        with self.db.reading() as conn:
            found = audit.find_session(conn, digest(session), self.clock.now())
        if found is None:
            raise Unauthenticated("the session has ended or is not valid; sign in again.")
        user, csrf_digest = found
        if user.disabled:
            raise Unauthenticated(f"user {user.username!r} is disabled; ask an admin to enable it.")
        principal = Principal(user.username, user.role, PrincipalKind.USER, user_id=user.id,
                              source=source)
        return principal, csrf_digest

    def sign_out(self, session: str, principal: Principal) -> None:
        """End a browser session."""
        now = self.clock.now()
        with self.db.writing() as conn:
            audit.delete_session(conn, digest(session))
            audit.append(conn, principal, "auth.logout", now, target=principal.name)

    # -- audit ----------------------------------------------------------------------
    def record(
        self,
        principal: Principal,
        action: str,
        *,
        target: str | None = None,
        detail: dict[str, Any] | None = None,
        conn: Connection | None = None,
    ) -> None:
        """Append one audit line (inside `conn`'s transaction when given)."""
        now = self.clock.now()
        if conn is not None:
            audit.append(conn, principal, action, now, target=target, detail=detail)
            return
        with self.db.writing() as own:
            audit.append(own, principal, action, now, target=target, detail=detail)

    def list_audit(
        self,
        *,
        limit: int = 50,
        before_id: int | None = None,
        actor: str | None = None,
        action: str | None = None,
    ) -> list[AuditRecord]:
        if limit < 1 or (before_id is not None and before_id < 1):
            raise ParameterError(
                f"the audit page got limit={limit}, before_id={before_id}; both must be 1 or more."
            )
        with self.db.reading() as conn:
            return audit.list_audit(conn, limit=limit, before_id=before_id, actor=actor,
                                    action=action)
