"""The schema layer: checks a document against Argo's JSON Schema (`schema.json`, derived from
the published one by scripts/argo_schema.py) in one walk that also refuses unknown fields,
which the published schema lets through, and suggests the field that was probably meant."""

from __future__ import annotations

import difflib
import json
from functools import cache
from importlib import resources
from typing import Any

from .loader import Document
from .problems import KeyPath, ManifestProblem, format_path

PREFIX = "io.argoproj.workflow.v1alpha1."
API_VERSION = "argoproj.io/v1alpha1"
KINDS = ("Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate", "CronWorkflow")
_JSON_TYPES = {
    "string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,),
    "object": (dict,), "array": (list,),
}


@cache
def definitions() -> dict[str, Any]:
    """Argo's schema definitions, by name (read once)."""
    text = resources.files(__package__).joinpath("schema.json").read_text(encoding="utf-8")
    defs: dict[str, Any] = json.loads(text)["definitions"]
    return defs


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "a list" if isinstance(value, list) else "a mapping"


def _expected(types: list[str]) -> str:
    words = {"string": "a string", "integer": "an integer", "number": "a number",
             "boolean": "true or false", "object": "a mapping", "array": "a list"}
    return " or ".join(words.get(t, t) for t in types)


def _is(value: Any, kind: str) -> bool:
    if isinstance(value, bool) and kind in ("integer", "number"):
        return False
    return isinstance(value, _JSON_TYPES.get(kind, object))


class SchemaChecker:
    """Walks one document beside the schema definition of its kind."""

    def __init__(self, document: Document) -> None:
        self.doc = document
        self.defs = definitions()
        self.problems: list[ManifestProblem] = []

    def _add(self, path: KeyPath, message: str, fix: str, at_key: bool = False) -> None:
        where = self.doc.source.key(path) if at_key else self.doc.source.value(path)
        self.problems.append(ManifestProblem(where, format_path(path), message, fix, "schema"))

    def _resolve(self, schema: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
        name = None
        while "$ref" in schema:
            name = str(schema["$ref"]).rsplit("/", 1)[1]
            schema = self.defs[name]
        return name, schema

    def check(self, kind: str) -> list[ManifestProblem]:
        self.walk(self.doc.data, {"$ref": f"#/definitions/{PREFIX}{kind}"}, ())
        return self.problems

    def walk(self, value: Any, schema: dict[str, Any], path: KeyPath) -> None:
        name, schema = self._resolve(schema)
        declared = schema.get("type")
        types = [declared] if isinstance(declared, str) else list(declared or [])
        if types and not any(_is(value, t) for t in types):
            fix = ("quote the value" if "string" in types and isinstance(value, int | float)
                   else f"write {_expected(types)} here")
            self._add(path, f"expected {_expected(types)}, got {_type_name(value)}", fix)
            return
        if "const" in schema and value != schema["const"]:
            self._add(path, f"must be {schema['const']!r}, not {value!r}",
                      f"set it to {schema['const']!r}")
        if "enum" in schema and value not in schema["enum"]:
            self._add(path, f"{value!r} is not allowed",
                      f"use one of {', '.join(map(str, schema['enum']))}")
        if isinstance(value, dict):
            self._object(value, schema, path, name)
        elif isinstance(value, list) and isinstance(schema.get("items"), dict):
            for index, item in enumerate(value):
                self.walk(item, schema["items"], (*path, index))

    def _object(self, value: dict[str, Any], schema: dict[str, Any], path: KeyPath,
                name: str | None) -> None:
        properties: dict[str, Any] = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            child = (*path, key)
            if key in properties:
                self.walk(item, properties[key], child)
            elif isinstance(extra, dict):
                self.walk(item, extra, child)
            elif properties and extra is not True:
                self._unknown(key, properties, child, name)
        for key in schema.get("required") or ():
            if key not in value:
                self._add(path, f"'{key}' is required here", f"add '{key}:'")

    def _unknown(self, key: str, properties: dict[str, Any], path: KeyPath,
                 name: str | None) -> None:
        close = difflib.get_close_matches(key, list(properties), n=1, cutoff=0.6)
        if not close:  # a different case is the commonest slip: `entryPoint`, `withitems`
            close = [p for p in properties if p.lower() == key.lower()][:1]
        owner = (name or "this object").rsplit(".", 1)[-1]
        names = sorted(properties)
        listed = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
        fix = (f"did you mean '{close[0]}'?" if close
               else f"remove it or use one of {owner}'s fields: {listed}")
        self._add(path, f"unknown field '{key}'", fix, at_key=True)


def check_schema(document: Document) -> list[ManifestProblem]:
    """Schema problems of one document: not a mapping, wrong apiVersion or kind, unknown
    fields, wrong types, missing required fields."""
    data = document.data
    if not isinstance(data, dict):
        return [ManifestProblem(document.at(()), "", "the document is not a mapping",
                                "write an Argo manifest with apiVersion, kind, metadata and spec",
                                "schema")]
    problems = []
    if data.get("apiVersion") != API_VERSION:
        message = ("the 'apiVersion' field is missing" if "apiVersion" not in data
                   else f"apiVersion {data['apiVersion']!r} is not Argo's")
        problems.append(ManifestProblem(document.at(("apiVersion",)), "apiVersion", message,
                                        f"set 'apiVersion: {API_VERSION}'", "schema"))
    kind = data.get("kind")
    if kind not in KINDS:
        close = difflib.get_close_matches(str(kind), KINDS, n=1)
        fix = f"did you mean '{close[0]}'?" if close else f"use one of {', '.join(KINDS)}"
        message = "the 'kind' field is missing" if kind is None else f"unsupported kind {kind!r}"
        problems.append(ManifestProblem(document.at(("kind",)), "kind", message, fix, "schema"))
        return problems
    # apiVersion is reported above already, once
    return problems + [p for p in SchemaChecker(document).check(str(kind))
                       if p.path != "apiVersion"]
