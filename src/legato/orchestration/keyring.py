"""The Fernet keys that encrypt secrets at rest: LEGATO_SECRET_KEYS (newest first, for
rotation) or LEGATO_SECRET_KEY, else a key file in LEGATO_HOME made (0600) on first use.
New values are encrypted with the newest key; any listed key decrypts (MultiFernet)."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from legato.errors import ConfigError
from legato.settings import Settings

KEY_FILE_NAME = "secret.key"
_FIX = (
    "set LEGATO_SECRET_KEYS (newest first) or LEGATO_SECRET_KEY to the key(s) the secrets were "
    "stored with; make one with `legato secrets new-key`"
)


def new_key() -> str:
    """A fresh random Fernet key (url-safe base64 of 32 bytes)."""
    return Fernet.generate_key().decode()


class Keyring:
    """Encrypts and decrypts secret values with the configured keys. Thread-safe; the key
    file is read (or made) only when a secret is first used.

    >>> ring = Keyring([new_key()])
    >>> ring.decrypt("db", ring.encrypt("hunter2"))
    'hunter2'
    """

    def __init__(self, keys: Sequence[str] = (), *, key_file: Path | None = None) -> None:
        self._keys = tuple(keys)
        self._key_file = key_file
        self._lock = threading.Lock()
        self._fernet: MultiFernet | None = None
        if self._keys:
            self._fernet = _multi(self._keys, "LEGATO_SECRET_KEY(S)")

    @classmethod
    def from_settings(cls, settings: Settings) -> Keyring:
        return cls(settings.secret_keys, key_file=settings.home / KEY_FILE_NAME)

    def __repr__(self) -> str:  # never show key material
        source = "settings" if self._keys else str(self._key_file)
        return f"Keyring({source})"

    def _cipher(self, create: bool) -> MultiFernet:
        with self._lock:
            if self._fernet is None:
                key = self._read_key_file(create)
                self._fernet = _multi((key,), str(self._key_file))
            return self._fernet

    def _read_key_file(self, create: bool) -> str:
        path = self._key_file
        if path is None:
            raise ConfigError(f"no secret key is configured; {_FIX}.")
        try:
            return path.read_text().strip()
        except FileNotFoundError:
            if not create:
                raise ConfigError(
                    f"no secret key is configured and {path} does not exist; {_FIX}."
                ) from None
        path.parent.mkdir(parents=True, exist_ok=True)
        key = new_key()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first: use theirs
            return path.read_text().strip()
        with os.fdopen(fd, "w") as out:
            out.write(key + "\n")
        return key

    def encrypt(self, value: str) -> bytes:
        """A Fernet token of `value` under the newest key."""
        return self._cipher(create=True).encrypt(value.encode())

    def decrypt(self, name: str, token: bytes) -> str:
        """The value of secret `name` from its token; ConfigError when no key opens it."""
        try:
            return self._cipher(create=False).decrypt(token).decode()
        except InvalidToken:
            raise ConfigError(
                f"secret {name!r} cannot be decrypted with the configured key(s); {_FIX}."
            ) from None

    def rotate(self, name: str, token: bytes) -> bytes:
        """The token re-encrypted under the newest key (the value is unchanged)."""
        try:
            return self._cipher(create=False).rotate(token)
        except InvalidToken:
            raise ConfigError(
                f"secret {name!r} cannot be decrypted with the configured key(s), so it cannot "
                f"be rotated; {_FIX}."
            ) from None


def _multi(keys: Sequence[str], source: str) -> MultiFernet:
    fernets = []
    for index, key in enumerate(keys):
        try:
            fernets.append(Fernet(key.encode()))
        except (ValueError, TypeError):
            raise ConfigError(
                f"secret key #{index + 1} from {source} is not a Fernet key (url-safe base64 of "
                "32 bytes); make one with `legato secrets new-key`."
            ) from None
    return MultiFernet(fernets)
