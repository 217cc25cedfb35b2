"""Secrets and variables over the store: secret values are encrypted with the keyring before
they are written and decrypted only for `read_secret`; key rotation re-encrypts every row.
LocalBackend serves the Backend protocol's secret and variable methods from here."""

from __future__ import annotations

from typing import Any

from legato._clock import Clock
from legato.core.secrets import (
    SecretInfo,
    VariableRecord,
    check_name,
    check_secret_value,
    check_variable_value,
)
from legato.errors import Conflict, NotFound, ParameterError
from legato.orchestration.keyring import Keyring
from legato.store import vault
from legato.store.database import Database


def secret_not_found(name: str) -> NotFound:
    return NotFound(f"secret {name!r} does not exist; create it with `legato secrets set {name}`.")


def variable_not_found(name: str) -> NotFound:
    return NotFound(
        f"variable {name!r} does not exist; create it with `legato variables set {name} VALUE`."
    )


def _exists(kind: str, name: str) -> Conflict:
    return Conflict(
        f"{kind} {name!r} exists already; pass overwrite=True (--overwrite) to replace its value."
    )


def check_page(limit: int, offset: int, what: str) -> None:
    if limit < 0 or offset < 0:
        raise ParameterError(f"{what} got limit={limit}, offset={offset}; both must be 0 or more.")


class Vault:
    """Secrets (encrypted) and variables (JSON) of one database. Thread-safe."""

    def __init__(self, db: Database, clock: Clock, keyring: Keyring) -> None:
        self.db = db
        self.clock = clock
        self.keyring = keyring

    # -- secrets ----------------------------------------------------------------------------
    def read_secret(self, name: str) -> str:
        check_name("secret", name)
        with self.db.reading() as conn:
            token = vault.read_ciphertext(conn, name)
        if token is None:
            raise secret_not_found(name)
        return self.keyring.decrypt(name, token)

    def write_secret(self, name: str, value: str, *, overwrite: bool = True) -> SecretInfo:
        check_name("secret", name)
        token = self.keyring.encrypt(check_secret_value(name, value))
        with self.db.writing() as conn:
            if overwrite:
                vault.put_secret(conn, name, token, self.clock.now())
            elif vault.read_secret_info(conn, name) is not None:
                raise _exists("secret", name)
            else:  # a concurrent insert of the same name fails on the key: never replaced
                vault.insert_secret(conn, name, token, self.clock.now())
            info = vault.read_secret_info(conn, name)
        assert info is not None
        return info

    def read_secret_info(self, name: str) -> SecretInfo:
        check_name("secret", name)
        with self.db.reading() as conn:
            info = vault.read_secret_info(conn, name)
        if info is None:
            raise secret_not_found(name)
        return info

    def list_secrets(self, *, limit: int = 500, offset: int = 0) -> list[SecretInfo]:
        check_page(limit, offset, "list_secrets")
        with self.db.reading() as conn:
            return vault.list_secret_infos(conn, limit=limit, offset=offset)

    def delete_secret(self, name: str) -> None:
        check_name("secret", name)
        with self.db.writing() as conn:
            if not vault.delete_secret(conn, name):
                raise secret_not_found(name)

    def rotate_keys(self) -> int:
        """Re-encrypt every secret with the newest key, in one transaction (all or none);
        return how many were re-encrypted. Old keys can be dropped afterwards."""
        with self.db.writing() as conn:
            rows = vault.all_ciphertexts(conn)
            for name, token in rows:
                vault.replace_ciphertext(conn, name, self.keyring.rotate(name, token))
        return len(rows)

    # -- variables --------------------------------------------------------------------------
    def read_variable(self, name: str) -> VariableRecord:
        check_name("variable", name)
        with self.db.reading() as conn:
            record = vault.read_variable(conn, name)
        if record is None:
            raise variable_not_found(name)
        return record

    def write_variable(self, name: str, value: Any, *, overwrite: bool = True) -> VariableRecord:
        check_name("variable", name)
        value = check_variable_value(name, value)
        now = self.clock.now()
        with self.db.writing() as conn:
            if overwrite:
                vault.put_variable(conn, name, value, now)
            elif vault.read_variable(conn, name) is not None:
                raise _exists("variable", name)
            else:  # a concurrent insert of the same name fails on the key: never replaced
                vault.insert_variable(conn, name, value, now)
            record = vault.read_variable(conn, name)
        assert record is not None
        return record

    def list_variables(self, *, limit: int = 500, offset: int = 0) -> list[VariableRecord]:
        check_page(limit, offset, "list_variables")
        with self.db.reading() as conn:
            return vault.list_variables(conn, limit=limit, offset=offset)

    def delete_variable(self, name: str) -> None:
        check_name("variable", name)
        with self.db.writing() as conn:
            if not vault.delete_variable(conn, name):
                raise variable_not_found(name)
