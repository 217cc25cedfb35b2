"""Queries for the secrets and variables tables: ciphertexts in, ciphertexts out (the
orchestration layer encrypts and decrypts), JSON variable values, listings by name."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, select, update

from legato.core.secrets import SecretInfo, VariableRecord
from legato.store.database import upsert
from legato.store.tables import secrets, variables


def read_ciphertext(conn: Connection, name: str) -> bytes | None:
    """The stored Fernet token of secret `name`, None when there is none."""
    value = conn.execute(select(secrets.c.ciphertext).where(secrets.c.name == name)).scalar()
    return None if value is None else bytes(value)


def read_secret_info(conn: Connection, name: str) -> SecretInfo | None:
    row = conn.execute(
        select(secrets.c.name, secrets.c.created, secrets.c.updated).where(secrets.c.name == name)
    ).first()
    return None if row is None else SecretInfo(row.name, row.created, row.updated)


def list_secret_infos(conn: Connection, *, limit: int, offset: int = 0) -> list[SecretInfo]:
    """Secrets by name, one page at a time, without their ciphertexts."""
    query = (
        select(secrets.c.name, secrets.c.created, secrets.c.updated)
        .order_by(secrets.c.name).limit(limit).offset(offset)
    )
    return [SecretInfo(row.name, row.created, row.updated) for row in conn.execute(query)]


def put_secret(conn: Connection, name: str, ciphertext: bytes, now: datetime) -> None:
    """Create a secret or replace its ciphertext (keeping its creation date)."""
    values = {"name": name, "ciphertext": ciphertext, "created": now, "updated": now}
    conn.execute(upsert(conn, secrets, "name", ["ciphertext", "updated"]), values)


def insert_secret(conn: Connection, name: str, ciphertext: bytes, now: datetime) -> None:
    """Create a secret; a stored one of that name is an IntegrityError (never replaced)."""
    values = {"name": name, "ciphertext": ciphertext, "created": now, "updated": now}
    conn.execute(secrets.insert(), values)


def all_ciphertexts(conn: Connection) -> list[tuple[str, bytes]]:
    """Every secret's name and token (key rotation re-encrypts them all)."""
    rows = conn.execute(select(secrets.c.name, secrets.c.ciphertext).order_by(secrets.c.name))
    return [(row.name, bytes(row.ciphertext)) for row in rows]


def replace_ciphertext(conn: Connection, name: str, ciphertext: bytes) -> None:
    """Swap a secret's token for one of the same value under another key."""
    conn.execute(update(secrets).where(secrets.c.name == name).values(ciphertext=ciphertext))


def delete_secret(conn: Connection, name: str) -> bool:
    """Drop a secret; False when there was none."""
    return conn.execute(delete(secrets).where(secrets.c.name == name)).rowcount == 1


def _variable(row: Any) -> VariableRecord:
    return VariableRecord(row.name, row.value, row.created, row.updated)


def read_variable(conn: Connection, name: str) -> VariableRecord | None:
    row = conn.execute(select(variables).where(variables.c.name == name)).first()
    return None if row is None else _variable(row)


def list_variables(conn: Connection, *, limit: int, offset: int = 0) -> list[VariableRecord]:
    """Variables by name, one page at a time."""
    query = select(variables).order_by(variables.c.name).limit(limit).offset(offset)
    return [_variable(row) for row in conn.execute(query)]


def insert_variable(conn: Connection, name: str, value: Any, now: datetime) -> None:
    conn.execute(
        variables.insert(), {"name": name, "value": value, "created": now, "updated": now}
    )


def put_variable(conn: Connection, name: str, value: Any, now: datetime) -> None:
    """Create a variable or replace its value (keeping its creation date), atomically."""
    values = {"name": name, "value": value, "created": now, "updated": now}
    conn.execute(upsert(conn, variables, "name", ["value", "updated"]), values)


def delete_variable(conn: Connection, name: str) -> bool:
    """Drop a variable; False when there was none."""
    return conn.execute(delete(variables).where(variables.c.name == name)).rowcount == 1
