"""`Secret` and `Variable`: read secrets and variables from flows, tasks and plain code,
through the current run's backend (embedded or a worker's HTTP backend) or the default one.
A loaded secret value is masked in run logs, state messages and artifacts from then on."""

from __future__ import annotations

from typing import Any

from legato.core.backend import Backend
from legato.core.secrets import SecretInfo, VariableRecord
from legato.engine.context import current_flow_run
from legato.engine.masking import MASK, register_secret
from legato.errors import NotFound
from legato.sdk import runtime

_MISSING: Any = object()


def _backend() -> Backend:
    flow = current_flow_run()
    # A task shipped to a process pool has a context without a backend: use the default.
    backend: Backend | None = getattr(flow, "backend", None)
    return backend if backend is not None else runtime.get_backend()


class Secret:
    """A secret's value, loaded from the backend (decrypted there).

    >>> Secret.load("db-password").get()  # doctest: +SKIP
    'hunter22'
    """

    __slots__ = ("_value", "name")

    def __init__(self, name: str, value: str) -> None:
        self.name = name
        self._value = value
        register_secret(value)

    @classmethod
    def load(cls, name: str) -> Secret:
        """Load secret `name`; NotFound when it does not exist."""
        return cls(name, _backend().read_secret(name))

    @staticmethod
    def save(name: str, value: str, *, overwrite: bool = True) -> SecretInfo:
        """Store (encrypted) or replace a secret; Conflict when it exists and not `overwrite`."""
        register_secret(value)
        return _backend().write_secret(name, value, overwrite=overwrite)

    def get(self) -> str:
        """The secret's plain value; pass it to the client that needs it, do not log it
        (if you do, run logs show it masked)."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({self.name!r}, {MASK!r})"

    __str__ = __repr__


class Variable:
    """Named JSON settings shared by flows: `Variable.get("batch_size", 500)`."""

    @staticmethod
    def get(name: str, default: Any = None) -> Any:
        """The value of variable `name`, or `default` when it does not exist.

        >>> Variable.get("batch_size", 500)  # doctest: +SKIP
        500
        """
        try:
            return _backend().read_variable(name).value
        except NotFound:
            return default

    @staticmethod
    def set(name: str, value: Any, *, overwrite: bool = False) -> VariableRecord:
        """Store a JSON value under `name`; Conflict when it exists, unless `overwrite`."""
        return _backend().write_variable(name, value, overwrite=overwrite)

    @staticmethod
    def unset(name: str) -> bool:
        """Drop variable `name`; False when it did not exist."""
        try:
            _backend().delete_variable(name)
        except NotFound:
            return False
        return True
