"""`{{secrets.NAME}}` and `{{variables.NAME}}` in YAML workflows (a Legato addition; Argo
has none): every one the manifest and the run's parameters name is loaded once when the run
starts, through the run's backend, and joins the workflow's scope. Loaded secret values are
masked in the run's logs; they reach steps only where the manifest puts them (env, args)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from legato.core.backend import Backend
from legato.engine.masking import register_secret
from legato.errors import ManifestError, NotFound
from legato.manifests.argo.exprfuncs import to_string

_REF = re.compile(r"\{\{\s*(secrets|variables)\.([A-Za-z0-9_][A-Za-z0-9_.\-]*?)\s*\}\}")
# Script sources are written to files in the step's scratch tree, which failed steps keep.
_NOT_IN = "source"


def _strings(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _strings(item, (*path, str(key)))
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, path)


def vault_names(raw: Any, parameters: Mapping[str, str], where: str) -> set[tuple[str, str]]:
    """The (kind, name) pairs used in a manifest's strings and in the run's parameters;
    ManifestError for a secret inside a script's source."""
    found: set[tuple[str, str]] = set()
    texts = [*_strings(raw), *((("parameters",), v) for v in parameters.values())]
    for path, text in texts:
        for match in _REF.finditer(text):
            if match.group(1) == "secrets" and path and path[-1] == _NOT_IN:
                raise ManifestError(
                    f"{where}: {match.group(0)} is used in a script's source, which is written "
                    "to disk; pass the secret as an env value (env: [{name: TOKEN, value: "
                    f"'{match.group(0)}'}}]) and read $TOKEN in the script."
                )
            found.add((match.group(1), match.group(2)))
    return found


def vault_scope(raw: Any, parameters: Mapping[str, str], backend: Backend,
                where: str) -> dict[str, str]:
    """`secrets.NAME` and `variables.NAME` scope entries for every one the run uses (a
    variable's JSON value as Argo formats values: strings as they are, others as JSON)."""
    scope: dict[str, str] = {}
    for kind, name in sorted(vault_names(raw, parameters, where)):
        try:
            if kind == "secrets":
                value = backend.read_secret(name)
                register_secret(value)
            else:
                value = to_string(backend.read_variable(name).value)
        except NotFound:
            noun = "secret" if kind == "secrets" else "variable"
            fix = (f"legato secrets set {name}" if kind == "secrets"
                   else f"legato variables set {name} VALUE")
            raise ManifestError(
                f"{where}: {{{{{kind}.{name}}}}} names no stored {noun}; create it with "
                f"`{fix}` or fix the name."
            ) from None
        scope[f"{kind}.{name}"] = value
    return scope


def fill_parameters(parameters: Mapping[str, str], scope: Mapping[str, str]) -> dict[str, str]:
    """The run's parameters with their `{{secrets.X}}`/`{{variables.X}}` filled in (the
    stored run keeps them as written, never the values)."""
    def one(text: str) -> str:
        return _REF.sub(lambda m: scope[f"{m.group(1)}.{m.group(2)}"], text)

    return {key: one(value) if "{{" in value else value for key, value in parameters.items()}
