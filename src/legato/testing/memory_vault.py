"""Secrets and variables for InMemoryBackend, checked as the real store checks them. Values
stay in memory in plain text: this backend is for tests, nothing is durable."""

from __future__ import annotations

import threading
from typing import Any

from legato._clock import Clock
from legato.core.secrets import (
    SecretInfo,
    VariableRecord,
    check_name,
    check_secret_value,
    check_variable_value,
)
from legato.errors import Conflict
from legato.orchestration.vault import check_page, secret_not_found, variable_not_found


class InMemoryVault:
    """Mixed into InMemoryBackend, which provides `clock` and `_lock` and calls
    `_init_vault` from its constructor."""

    clock: Clock
    _lock: threading.RLock

    def _init_vault(self) -> None:
        self._secret_store: dict[str, tuple[str, SecretInfo]] = {}
        self._variable_store: dict[str, VariableRecord] = {}

    def _vault(self) -> tuple[dict[str, tuple[str, SecretInfo]], dict[str, VariableRecord]]:
        return self._secret_store, self._variable_store

    def read_secret(self, name: str) -> str:
        check_name("secret", name)
        stored, _ = self._vault()
        with self._lock:
            if name not in stored:
                raise secret_not_found(name)
            return stored[name][0]

    def write_secret(self, name: str, value: str, *, overwrite: bool = True) -> SecretInfo:
        check_name("secret", name)
        check_secret_value(name, value)
        stored, _ = self._vault()
        with self._lock:
            now = self.clock.now()
            if name in stored:
                if not overwrite:
                    raise Conflict(
                        f"secret {name!r} exists already; pass overwrite=True (--overwrite) to "
                        "replace its value."
                    )
                info = SecretInfo(name, stored[name][1].created, now)
            else:
                info = SecretInfo(name, now, now)
            stored[name] = (value, info)
            return info

    def read_secret_info(self, name: str) -> SecretInfo:
        check_name("secret", name)
        stored, _ = self._vault()
        with self._lock:
            if name not in stored:
                raise secret_not_found(name)
            return stored[name][1]

    def list_secrets(self, *, limit: int = 500, offset: int = 0) -> list[SecretInfo]:
        check_page(limit, offset, "list_secrets")
        stored, _ = self._vault()
        with self._lock:
            return [stored[n][1] for n in sorted(stored)][offset:offset + limit]

    def delete_secret(self, name: str) -> None:
        check_name("secret", name)
        stored, _ = self._vault()
        with self._lock:
            if stored.pop(name, None) is None:
                raise secret_not_found(name)

    def read_variable(self, name: str) -> VariableRecord:
        check_name("variable", name)
        _, stored = self._vault()
        with self._lock:
            if name not in stored:
                raise variable_not_found(name)
            return stored[name]

    def write_variable(self, name: str, value: Any, *, overwrite: bool = True) -> VariableRecord:
        check_name("variable", name)
        value = check_variable_value(name, value)
        _, stored = self._vault()
        with self._lock:
            now = self.clock.now()
            old = stored.get(name)
            if old is not None and not overwrite:
                raise Conflict(
                    f"variable {name!r} exists already; pass overwrite=True (--overwrite) to "
                    "replace its value."
                )
            record = VariableRecord(name, value, old.created if old else now, now)
            stored[name] = record
            return record

    def list_variables(self, *, limit: int = 500, offset: int = 0) -> list[VariableRecord]:
        check_page(limit, offset, "list_variables")
        _, stored = self._vault()
        with self._lock:
            return [stored[n] for n in sorted(stored)][offset:offset + limit]

    def delete_variable(self, name: str) -> None:
        check_name("variable", name)
        _, stored = self._vault()
        with self._lock:
            if stored.pop(name, None) is None:
                raise variable_not_found(name)
