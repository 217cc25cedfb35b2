"""Secrets and variables as plain records, and the checks that need no database: names,
value sizes. Shared by orchestration, the backends, the wire schema, the SDK and the CLI."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from legato.errors import ParameterError

MAX_NAME_LENGTH = 255
# A secret is a password, token or key file; a variable is a small JSON setting.
MAX_SECRET_BYTES = 64 * 1024
MAX_VARIABLE_BYTES = 256 * 1024
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*")


@dataclass(frozen=True, slots=True)
class SecretInfo:
    """What may be shown of a stored secret: its name and dates, never its value."""

    name: str
    created: datetime
    updated: datetime


@dataclass(frozen=True, slots=True)
class VariableRecord:
    """A stored variable: a name and a JSON value.

    >>> VariableRecord("batch_size", 500, now, now).value
    500
    """

    name: str
    value: Any
    created: datetime
    updated: datetime


def check_name(kind: str, name: str) -> str:
    """Return `name` if it can name a secret or variable (`kind`), else ParameterError.

    >>> check_name("secret", "db-password")
    'db-password'
    """
    if not isinstance(name, str) or not _NAME.fullmatch(name) or len(name) > MAX_NAME_LENGTH:
        raise ParameterError(
            f"{kind} name {name!r} is not valid; use 1 to {MAX_NAME_LENGTH} letters, digits, "
            "'_', '-' or '.', starting with a letter, digit or '_'."
        )
    return name


def check_secret_value(name: str, value: object) -> str:
    """Return the value of secret `name` if it is a string of at most MAX_SECRET_BYTES."""
    if not isinstance(value, str):
        raise ParameterError(
            f"secret {name!r} got a {type(value).__name__} value; a secret value is a string."
        )
    if len(value.encode()) > MAX_SECRET_BYTES:
        raise ParameterError(
            f"secret {name!r} is longer than {MAX_SECRET_BYTES} bytes; store a smaller value "
            "or keep the big data elsewhere and store its credentials."
        )
    return value


def check_variable_value(name: str, value: Any) -> Any:
    """Return the value of variable `name` if it is JSON of at most MAX_VARIABLE_BYTES."""
    try:
        encoded = json.dumps(value, allow_nan=False, separators=(",", ":")).encode()
    except (TypeError, ValueError) as error:
        raise ParameterError(
            f"variable {name!r} got a value that is not JSON ({error}); use strings, numbers, "
            "booleans, null, lists and objects with string keys."
        ) from None
    if len(encoded) > MAX_VARIABLE_BYTES:
        raise ParameterError(
            f"variable {name!r} is {len(encoded)} bytes of JSON, more than "
            f"{MAX_VARIABLE_BYTES}; keep big data in files or a result store."
        )
    return json.loads(encoded)
