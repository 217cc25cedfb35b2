"""The secrets-and-variables part of the Backend contract: secrets round-trip but are only
ever listed by name and date, variables keep any JSON value, overwrite=False refuses to
replace, unknown names are NotFound, bad names and values are ParameterError.
BackendContract inherits it; the in-memory backend runs it too."""

from __future__ import annotations

import pytest

from legato._clock import FakeClock
from legato.core.backend import Backend
from legato.core.secrets import MAX_SECRET_BYTES, SecretInfo
from legato.errors import Conflict, NotFound, ParameterError

# Fernet key shared by the contract's fixtures (url-safe base64 of 32 bytes).
CONTRACT_KEY = "x3w0Yp3LZ4fU5rU7k3tVYl7a9pXnqXr4m2b5Jw1c8ZE="


class VaultContract:
    """Secrets and variables; subclasses provide `backend` and `clock` fixtures, the backend
    able to encrypt (a LocalBackend needs a keyring)."""

    def test_secret_round_trips_and_lists_without_its_value(
        self, backend: Backend, clock: FakeClock
    ) -> None:
        info = backend.write_secret("db-password", "s3cr3t-Ünïcode\nline two")
        assert info == SecretInfo("db-password", clock.now(), clock.now())
        assert backend.read_secret("db-password") == "s3cr3t-Ünïcode\nline two"
        assert backend.read_secret_info("db-password") == info
        assert backend.list_secrets() == [info]
        assert "s3cr3t" not in repr(backend.list_secrets())

    def test_overwriting_a_secret_keeps_its_creation_date(
        self, backend: Backend, clock: FakeClock
    ) -> None:
        first = backend.write_secret("token", "one")
        clock.advance(60)
        again = backend.write_secret("token", "two")
        assert (again.created, again.updated) == (first.created, clock.now())
        assert backend.read_secret("token") == "two"

    def test_secret_is_not_replaced_without_overwrite(self, backend: Backend) -> None:
        backend.write_secret("token", "one")
        with pytest.raises(Conflict, match="'token' exists already"):
            backend.write_secret("token", "two", overwrite=False)
        assert backend.read_secret("token") == "one"

    def test_deleted_secret_is_not_found(self, backend: Backend) -> None:
        backend.write_secret("gone", "value")
        backend.delete_secret("gone")
        with pytest.raises(NotFound, match="secret 'gone' does not exist"):
            backend.read_secret("gone")
        with pytest.raises(NotFound):
            backend.read_secret_info("gone")
        with pytest.raises(NotFound):
            backend.delete_secret("gone")
        assert backend.list_secrets() == []

    def test_secrets_list_by_name_page_by_page(self, backend: Backend) -> None:
        for name in ("c", "a", "b", "d"):
            backend.write_secret(name, f"value of {name}")
        assert [s.name for s in backend.list_secrets()] == ["a", "b", "c", "d"]
        assert [s.name for s in backend.list_secrets(limit=2, offset=1)] == ["b", "c"]

    @pytest.mark.parametrize("name", ["", "has space", "-leading", "a/b", "x" * 256])
    def test_bad_secret_name_is_a_parameter_error(self, backend: Backend, name: str) -> None:
        with pytest.raises(ParameterError, match="secret name"):
            backend.write_secret(name, "value")

    def test_oversized_secret_is_refused_and_nothing_is_stored(self, backend: Backend) -> None:
        with pytest.raises(ParameterError, match="longer than"):
            backend.write_secret("big", "x" * (MAX_SECRET_BYTES + 1))
        assert backend.list_secrets() == []

    def test_variable_keeps_any_json_value(self, backend: Backend, clock: FakeClock) -> None:
        value = {"batch": 500, "ratio": 0.25, "on": True, "tags": ["a", None], "nested": {}}
        record = backend.write_variable("settings", value)
        assert (record.name, record.value, record.created) == ("settings", value, clock.now())
        assert backend.read_variable("settings").value == value
        for plain in ("prod", 42, None, [1, 2]):
            backend.write_variable("plain", plain)
            assert backend.read_variable("plain").value == plain

    def test_variable_is_not_replaced_without_overwrite(self, backend: Backend) -> None:
        backend.write_variable("env", "prod")
        with pytest.raises(Conflict, match="'env' exists already"):
            backend.write_variable("env", "dev", overwrite=False)
        assert backend.read_variable("env").value == "prod"
        clock_free = backend.write_variable("new", 1, overwrite=False)
        assert clock_free.value == 1

    def test_variables_list_and_delete(self, backend: Backend) -> None:
        for name in ("b", "a", "c"):
            backend.write_variable(name, {"name": name})
        assert [(v.name, v.value) for v in backend.list_variables(limit=2)] == [
            ("a", {"name": "a"}), ("b", {"name": "b"})]
        backend.delete_variable("b")
        assert [v.name for v in backend.list_variables()] == ["a", "c"]
        with pytest.raises(NotFound, match="variable 'b' does not exist"):
            backend.read_variable("b")
        with pytest.raises(NotFound):
            backend.delete_variable("b")

    def test_variable_that_is_not_json_is_refused(self, backend: Backend) -> None:
        with pytest.raises(ParameterError, match="not JSON"):
            backend.write_variable("bad", {"when": object()})
        with pytest.raises(ParameterError, match="not JSON"):
            backend.write_variable("nan", float("nan"))
        assert backend.list_variables() == []
