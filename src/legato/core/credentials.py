"""Secrets people and programs prove themselves with: passwords hashed with scrypt (memory-
hard), and random bearer secrets (API tokens, session ids) stored only as a SHA-256 digest."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets

# scrypt with N=2**14, r=8: 16 MiB of memory per hash, tens of milliseconds of CPU, which
# makes guessing expensive for an attacker holding the database.
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
SCRYPT_MAXMEM = 64 * 1024 * 1024
_SALT_BYTES = 16
_KEY_BYTES = 32
TOKEN_PREFIX = "lgt_"
# How many characters after the prefix are shown in listings to tell tokens apart.
TOKEN_SHOWN = 8


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str, *, n: int = SCRYPT_N) -> str:
    """A self-describing scrypt hash of `password` with a fresh salt.

    >>> hash_password("correct horse").startswith("scrypt$16384$8$1$")
    True
    """
    salt = secrets.token_bytes(_SALT_BYTES)
    key = hashlib.scrypt(
        password.encode(), salt=salt, n=n, r=SCRYPT_R, p=SCRYPT_P, maxmem=SCRYPT_MAXMEM,
        dklen=_KEY_BYTES,
    )
    return f"scrypt${n}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(key)}"


def verify_password(password: str, stored: str) -> bool:
    """Whether `password` matches a hash made by `hash_password` (constant-time compare)."""
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(key)
        actual = hashlib.scrypt(
            password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
            maxmem=SCRYPT_MAXMEM, dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


@functools.cache
def dummy_password_hash() -> str:
    """A hash of nothing in particular, checked when a username is unknown so that a failed
    sign-in takes as long whether or not the user exists (made once, on first use)."""
    return hash_password(secrets.token_urlsafe(16))


def new_token_secret() -> str:
    """A new API token: the prefix and 256 random bits, URL-safe."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def new_session_secret() -> str:
    """A new session id or CSRF token: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """The SHA-256 hex digest a bearer secret is stored and looked up by (the secrets have
    256 bits of entropy, so a fast hash is enough)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def shown_prefix(token: str) -> str:
    """The part of a token listings show, e.g. `lgt_AbCdEfGh`."""
    return token[: len(TOKEN_PREFIX) + TOKEN_SHOWN]
