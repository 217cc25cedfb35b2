"""`{{secrets.NAME}}` and `{{variables.NAME}}` in YAML workflows (a Legato addition; Argo
has none): every one the manifest and the run's parameters name is loaded once when the run
starts, through the run's backend, and joins the workflow's scope. Loaded secret values are
masked in the run's logs; they reach steps only where the manifest puts them (env, args)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from legato.core.backend import Backend
from legato.engine.masking import register_secret
from legato.errors import ManifestError, NotFound
from legato.manifests.argo.exprfuncs import to_string

_REF = re.compile(r"\{\{\s*(secrets|variables)\.([A-Za-z0-9_][A-Za-z0-9_.\-]*?)\s*\}\}")
# Script sources are written to files in the step's scratch tree, which failed steps keep.
_NOT_IN = "source"


def _texts(value: Any) -> Iterator[tuple[str, str]]:
    """(the key it sits under, the text) for every string of `value` that may hold a
    reference; one walk without building paths, since a run starts with it over the whole
    manifest (a list's items sit under the list's key)."""
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        key, item = stack.pop()
        if isinstance(item, str):
            if "{{" in item:
                yield key, item
        elif isinstance(item, Mapping):
            stack.extend((str(k), v) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((key, v) for v in item)


def _names(texts: Iterable[tuple[str, str]], where: str) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for key, text in texts:
        for match in _REF.finditer(text):
            if match.group(1) == "secrets" and key == _NOT_IN:
                raise ManifestError(
                    f"{where}: {match.group(0)} is used in a script's source, which is written "
                    "to disk; pass the secret as an env value (env: [{name: TOKEN, value: "
                    f"'{match.group(0)}'}}]) and read $TOKEN in the script."
                )
            found.add((match.group(1), match.group(2)))
    return found


# A loaded manifest's own references, by the identity of its raw mapping (held here, so the
# identity stays its own): every run of a flow starts from the same manifest objects, and
# walking a big manifest costs milliseconds per run. Loaded manifests are never changed.
_MANIFEST_NAMES: dict[int, tuple[Any, frozenset[tuple[str, str]]]] = {}
MANIFEST_NAMES_MAX = 64


def manifest_names(raw: Any, where: str) -> frozenset[tuple[str, str]]:
    """The (kind, name) pairs a manifest's strings use (see `vault_names`)."""
    cached = _MANIFEST_NAMES.get(id(raw))
    if cached is not None and cached[0] is raw:
        return cached[1]
    names = frozenset(_names(_texts(raw), where))
    if len(_MANIFEST_NAMES) >= MANIFEST_NAMES_MAX:
        _MANIFEST_NAMES.pop(next(iter(_MANIFEST_NAMES)))
    _MANIFEST_NAMES[id(raw)] = (raw, names)
    return names


def vault_names(raws: Sequence[Any], parameters: Mapping[str, str],
                where: str) -> set[tuple[str, str]]:
    """The (kind, name) pairs used in the manifests' strings and in the run's parameters;
    ManifestError for a secret inside a script's source."""
    found = _names((("parameters", v) for v in parameters.values()), where)
    for raw in raws:
        found |= manifest_names(raw, where)
    return found


def vault_scope(raws: Sequence[Any], parameters: Mapping[str, str], backend: Backend,
                where: str) -> dict[str, str]:
    """`secrets.NAME` and `variables.NAME` scope entries for every one the run uses (a
    variable's JSON value as Argo formats values: strings as they are, others as JSON)."""
    scope: dict[str, str] = {}
    for kind, name in sorted(vault_names(raws, parameters, where)):
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
