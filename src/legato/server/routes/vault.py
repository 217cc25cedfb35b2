"""Routes for secrets (write-only values: set, list and show names and dates, delete, and
the one value endpoint a flow run loads a secret through) and variables (JSON values: set,
read, list, delete). Served through the backend, whose keyring encrypts secrets at rest."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from legato.core.secrets import MAX_NAME_LENGTH
from legato.schemas.api import DEFAULT_PAGE, MAX_PAGE
from legato.schemas.fields import MAX_INT
from legato.schemas.vault import (
    SecretModel,
    SecretPage,
    SecretValueModel,
    SecretWriteBody,
    VariableModel,
    VariablePage,
    VariableWriteBody,
)
from legato.server.params import CONFLICT, NOT_FOUND, BackendDep

router = APIRouter(tags=["secrets and variables"])
SecretName = Annotated[str, Path(min_length=1, max_length=MAX_NAME_LENGTH,
                                 description="A secret's name.")]
VariableName = Annotated[str, Path(min_length=1, max_length=MAX_NAME_LENGTH,
                                   description="A variable's name.")]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]
Offset = Annotated[int, Query(ge=0, le=MAX_INT)]


def _next(offset: int, found: int, limit: int) -> int | None:
    return offset + found if found == limit else None


@router.get("/secrets", response_model=SecretPage)
def list_secrets(backend: BackendDep, limit: Limit = DEFAULT_PAGE, offset: Offset = 0
                 ) -> SecretPage:
    """Secrets by name with their dates; values are never listed."""
    infos = backend.list_secrets(limit=limit, offset=offset)
    return SecretPage(items=[SecretModel.from_info(i) for i in infos],
                      next_offset=_next(offset, len(infos), limit))


@router.put("/secrets/{name}", response_model=SecretModel, responses=CONFLICT)
def write_secret(name: SecretName, body: SecretWriteBody, backend: BackendDep) -> SecretModel:
    """Create a secret or replace its value (encrypted at rest). The answer holds the name
    and dates only: the value is never sent back by this or any listing."""
    info = backend.write_secret(name, body.value.get_secret_value(), overwrite=body.overwrite)
    return SecretModel.from_info(info)


@router.get("/secrets/{name}", response_model=SecretModel, responses=NOT_FOUND)
def read_secret_info(name: SecretName, backend: BackendDep) -> SecretModel:
    """A secret's name and dates (not its value)."""
    return SecretModel.from_info(backend.read_secret_info(name))


@router.post("/secrets/{name}/value", response_model=SecretValueModel, responses=NOT_FOUND)
def read_secret_value(name: SecretName, backend: BackendDep, response: Response
                      ) -> SecretValueModel:
    """A secret's value, for flow runs that load it (`Secret.load(name).get()`). Needs the
    operator role, as runs and workers hold, and every call is audited; a POST, so that no
    cache or prefetch keeps it."""
    value = backend.read_secret(name)
    response.headers["Cache-Control"] = "no-store"
    return SecretValueModel(name=name, value=value)  # type: ignore[arg-type]


@router.delete("/secrets/{name}", status_code=204, responses=NOT_FOUND)
def delete_secret(name: SecretName, backend: BackendDep) -> Response:
    """Drop a secret; flows loading it afterwards fail with a not-found error."""
    backend.delete_secret(name)
    return Response(status_code=204)


@router.get("/variables", response_model=VariablePage)
def list_variables(backend: BackendDep, limit: Limit = DEFAULT_PAGE, offset: Offset = 0
                   ) -> VariablePage:
    """Variables by name with their values."""
    records = backend.list_variables(limit=limit, offset=offset)
    return VariablePage(items=[VariableModel.from_record(r) for r in records],
                        next_offset=_next(offset, len(records), limit))


@router.put("/variables/{name}", response_model=VariableModel, responses=CONFLICT)
def write_variable(name: VariableName, body: VariableWriteBody, backend: BackendDep
                   ) -> VariableModel:
    """Create a variable or replace its JSON value (`overwrite: false` answers 409 when it
    exists)."""
    record = backend.write_variable(name, body.value, overwrite=body.overwrite)
    return VariableModel.from_record(record)


@router.get("/variables/{name}", response_model=VariableModel, responses=NOT_FOUND)
def read_variable(name: VariableName, backend: BackendDep) -> VariableModel:
    return VariableModel.from_record(backend.read_variable(name))


@router.delete("/variables/{name}", status_code=204, responses=NOT_FOUND)
def delete_variable(name: VariableName, backend: BackendDep) -> Response:
    """Drop a variable."""
    backend.delete_variable(name)
    return Response(status_code=204)
