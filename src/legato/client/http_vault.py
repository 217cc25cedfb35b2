"""Secrets and variables over the REST API, mixed into HttpBackend: write secrets (the value
goes in, names and dates come back), load a secret's value through its value endpoint,
and read, write, list and delete variables."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from legato.client.session import ApiSession
from legato.client.transport import ApiResponse
from legato.core.secrets import (
    SecretInfo,
    VariableRecord,
    check_name,
    check_secret_value,
    check_variable_value,
)
from legato.core.wire import MAX_PAGE
from legato.errors import ParameterError

# The wire models are imported by the methods that use them: a run's process that reads no
# secret or variable builds none of them.


def _segment(value: str) -> str:
    return quote(value, safe="")


class HttpVault:
    """Mixed into HttpBackend, which provides `session`, `_get`, `_parse` and `_post_for`."""

    session: ApiSession
    _get: Callable[..., Any]
    _parse: Callable[..., Any]
    _post_for: Callable[..., Any]

    def _put(self, path: str, content: bytes, model: type[Any], *, idempotent: bool) -> Any:
        response: ApiResponse = self.session.request(
            "PUT", path, content=content, idempotent=idempotent
        )
        return self._parse(response, model)

    def _pages(self, path: str, page_model: type[Any], limit: int, offset: int,
               what: str) -> list[Any]:
        if limit < 0 or offset < 0:
            raise ParameterError(f"{what} got limit={limit}, offset={offset}; both must be 0 or more.")
        found: list[Any] = []
        next_offset: int | None = offset
        while next_offset is not None and len(found) < limit:
            size = min(limit - len(found), MAX_PAGE)
            page = self._get(path, page_model, [("limit", size), ("offset", next_offset)])
            found.extend(page.items)
            next_offset = page.next_offset
        return found

    # -- secrets ----------------------------------------------------------------------------
    def read_secret(self, name: str) -> str:
        from legato.schemas.vault import SecretValueModel

        check_name("secret", name)
        model: SecretValueModel = self._post_for(
            f"/secrets/{_segment(name)}/value", None, SecretValueModel, idempotent=True,
            what=f"secret {name!r}")
        return model.value.get_secret_value()

    def write_secret(self, name: str, value: str, *, overwrite: bool = True) -> SecretInfo:
        from pydantic import SecretStr

        from legato.schemas.vault import SecretModel, SecretWriteBody

        check_name("secret", name)
        body = SecretWriteBody(value=SecretStr(check_secret_value(name, value)),
                               overwrite=overwrite)
        model: SecretModel = self._put(f"/secrets/{_segment(name)}",
                                       body.model_dump_json().encode(), SecretModel,
                                       idempotent=overwrite)
        return model.to_info()

    def read_secret_info(self, name: str) -> SecretInfo:
        from legato.schemas.vault import SecretModel

        check_name("secret", name)
        model: SecretModel = self._get(f"/secrets/{_segment(name)}", SecretModel)
        return model.to_info()

    def list_secrets(self, *, limit: int = 500, offset: int = 0) -> list[SecretInfo]:
        from legato.schemas.vault import SecretPage

        items = self._pages("/secrets", SecretPage, limit, offset, "list_secrets")
        return [item.to_info() for item in items]

    def delete_secret(self, name: str) -> None:
        check_name("secret", name)
        self.session.request("DELETE", f"/secrets/{_segment(name)}", idempotent=False)

    # -- variables --------------------------------------------------------------------------
    def read_variable(self, name: str) -> VariableRecord:
        from legato.schemas.vault import VariableModel

        check_name("variable", name)
        model: VariableModel = self._get(f"/variables/{_segment(name)}", VariableModel)
        return model.to_record()

    def write_variable(self, name: str, value: Any, *, overwrite: bool = True) -> VariableRecord:
        from legato.schemas.vault import VariableModel, VariableWriteBody

        check_name("variable", name)
        body = VariableWriteBody(value=check_variable_value(name, value), overwrite=overwrite)
        model: VariableModel = self._put(f"/variables/{_segment(name)}",
                                         body.model_dump_json().encode(), VariableModel,
                                         idempotent=overwrite)
        return model.to_record()

    def list_variables(self, *, limit: int = 500, offset: int = 0) -> list[VariableRecord]:
        from legato.schemas.vault import VariablePage

        items = self._pages("/variables", VariablePage, limit, offset, "list_variables")
        return [item.to_record() for item in items]

    def delete_variable(self, name: str) -> None:
        check_name("variable", name)
        self.session.request("DELETE", f"/variables/{_segment(name)}", idempotent=False)
