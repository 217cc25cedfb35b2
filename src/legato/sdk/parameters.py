"""Flow parameters: validated and coerced from the function's type hints (pydantic, loaded on
first use), with every bad field reported at once, and a JSON schema for forms."""

from __future__ import annotations

import inspect
import threading
import typing
from collections.abc import Callable, Mapping
from typing import Any

from legato.errors import ParameterError

# What a required parameter left out of a partial validation holds; never stored.
_MISSING: Any = type("_Missing", (), {"__repr__": lambda self: "<missing>"})()
# Annotations whose values pydantic returns unchanged when they already have exactly that
# type: a flow whose parameters all have one of these (or none, or Any) and whose defaults
# are immutable is validated without building a pydantic model, which costs milliseconds
# in every fresh process (a worker's run).
_SCALARS: frozenset[Any] = frozenset({str, int, float, bool})
_IMMUTABLE_DEFAULTS = (str, int, float, bool, type(None))
_EMPTY = inspect.Parameter.empty


class ParameterSchema:
    """Validation and JSON schema of a flow's parameters."""

    def __init__(self, fn: Callable[..., Any], owner: str) -> None:
        self.fn = fn
        self.owner = owner
        self.signature = inspect.signature(fn)
        self.names = tuple(
            n for n, p in self.signature.parameters.items()
            if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        )
        self.accepts_extra = any(p.kind is p.VAR_KEYWORD
                                 for p in self.signature.parameters.values())
        self._model: Any = None
        self._partial_model: Any = None
        self._scalars: dict[str, tuple[Any, Any]] | bool | None = False  # False: not looked yet
        self._lock = threading.Lock()

    def bind(self, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> dict[str, Any]:
        """Map a call's positional and keyword arguments to parameter names."""
        if not args:
            return dict(kwargs)
        try:
            bound = self.signature.bind_partial(*args, **kwargs)
        except TypeError as exc:
            raise ParameterError(f"{self.owner}: {exc}; check the call's arguments.") from None
        values = dict(bound.arguments)
        for name, param in self.signature.parameters.items():
            if param.kind is param.VAR_KEYWORD and name in values:
                values.update(values.pop(name))
        return values

    def _pydantic_model(self, partial: bool = False) -> Any:
        """The model that validates the parameters; in the `partial` one a required
        parameter left out takes the unvalidated _MISSING marker instead of failing."""
        if partial:
            model = self._pydantic_model()
        with self._lock:
            if partial and self._partial_model is None:
                import pydantic

                optional: dict[str, Any] = {
                    name: (info.annotation, _MISSING if info.is_required() else info.default)
                    for name, info in model.model_fields.items()
                }
                self._partial_model = pydantic.create_model(
                    f"{model.__name__}_partial", __config__=model.model_config, **optional
                )
            if partial:
                return self._partial_model
            if self._model is None:
                import pydantic  # deferred: keeps `import legato` light

                hints = _type_hints(self.fn)
                fields: dict[str, Any] = {}
                for name in self.names:
                    param = self.signature.parameters[name]
                    annotation = hints.get(name, Any)
                    default = ... if param.default is inspect.Parameter.empty else param.default
                    fields[name] = (annotation, default)
                self._model = pydantic.create_model(
                    f"{self.owner.replace(' ', '_')}_parameters",
                    __config__=pydantic.ConfigDict(arbitrary_types_allowed=True,
                                                   protected_namespaces=()),
                    **fields,
                )
            return self._model

    def validate(self, values: Mapping[str, Any], *, partial: bool = False) -> dict[str, Any]:
        """Coerce values to the annotated types; raise ParameterError listing every bad field.
        `partial` lets required parameters be missing (a deployment's defaults may leave
        them to each run); the result then holds only the values given and defaults.

        >>> def f(n: int, tags: list[str] = []): ...
        >>> ParameterSchema(f, "flow 'f'").validate({"n": "3"})
        {'n': 3, 'tags': []}
        """
        errors: list[tuple[str, str]] = []
        known = {k: v for k, v in values.items() if k in self.names}
        extra = {k: v for k, v in values.items() if k not in self.names}
        if extra and not self.accepts_extra:
            for name in extra:
                errors.append((name, f"unknown parameter; {self.owner} takes "
                                     f"{', '.join(self.names) or 'no parameters'}"))
        if not errors and not partial:
            quick = self._validate_scalars(known)
            if quick is not None:
                quick.update(extra)
                return quick
        import pydantic  # after the scalar path, which needs none

        model = self._pydantic_model(partial)
        try:
            instance = model.model_validate(known)
        except pydantic.ValidationError as exc:
            for err in exc.errors(include_url=False):
                where = ".".join(str(p) for p in err["loc"]) or "(parameters)"
                got = err.get("input")
                shown = "" if err["type"] == "missing" else f" (got {_short(got)})"
                errors.append((where, f"{err['msg']}{shown}"))
            instance = None
        if errors:
            detail = "; ".join(f"{k}: {m}" for k, m in errors)
            raise ParameterError(
                f"{self.owner} got invalid parameters — {detail}. Fix these values and run again.",
                errors,
            )
        result = {name: getattr(instance, name) for name in self.names}
        if partial:
            result = {name: value for name, value in result.items() if value is not _MISSING}
        result.update(extra)
        return result

    def _scalar_fields(self) -> dict[str, tuple[Any, Any]] | None:
        """Each parameter's (scalar type or None for "anything", default) when every one
        qualifies for `_validate_scalars`, else None."""
        if self._scalars is False:
            hints = _type_hints(self.fn)
            fields: dict[str, tuple[Any, Any]] | None = {}
            for name in self.names:
                annotation = hints.get(name, Any)
                default = self.signature.parameters[name].default
                kind = None if annotation is Any else annotation
                if (kind is not None and kind not in _SCALARS) or (
                        default is not _EMPTY and type(default) not in _IMMUTABLE_DEFAULTS):
                    fields = None
                    break
                assert fields is not None
                fields[name] = (kind, default)
            self._scalars = fields
        assert self._scalars is not True
        return self._scalars

    def _validate_scalars(self, known: Mapping[str, Any]) -> dict[str, Any] | None:
        """What the pydantic model would return, when every value already has its exact
        annotated type and every missing one has a default; None to ask the model (it
        coerces, or reports the errors)."""
        fields = self._scalar_fields()
        if fields is None:
            return None
        result: dict[str, Any] = {}
        for name, (kind, default) in fields.items():
            if name in known:
                value = known[name]
                if kind is not None and type(value) is not kind:
                    return None
                result[name] = value
            elif default is _EMPTY:
                return None
            else:
                result[name] = default
        return result

    def json_schema(self) -> dict[str, Any]:
        """JSON schema of the parameters, for UIs that build forms from it."""
        schema: dict[str, Any] = self._pydantic_model().model_json_schema()
        return schema

    def to_json(self, values: Mapping[str, Any], *, strict: bool) -> dict[str, Any]:
        """JSON-compatible copy of the values for storage. Non-serializable values raise
        ParameterError when `strict`, else are stored as their repr."""
        plain = {name: _plain_copy(value) for name, value in values.items()}
        if not any(item is _NOT_PLAIN for item in plain.values()):
            return plain
        from pydantic_core import to_jsonable_python  # for values JSON does not hold as they are

        out: dict[str, Any] = {}
        for name, value in values.items():
            try:
                out[name] = to_jsonable_python(value)
            except Exception:
                if strict:
                    raise ParameterError(
                        f"{self.owner} parameter {name!r} is a {type(value).__name__}, which "
                        "cannot be stored as JSON; pass JSON-compatible values (str, number, "
                        "list, dict, date, pydantic model) or load the object inside the flow.",
                        [(name, "not JSON-serializable")],
                    ) from None
                out[name] = repr(value)
        return out


_NOT_PLAIN: Any = type("_NotPlain", (), {})()
_PLAIN_SCALARS = (str, int, float, bool, type(None))


def _plain_copy(value: Any) -> Any:
    """A copy of a value made only of JSON's own types (what to_jsonable_python would return
    for it), or _NOT_PLAIN: most parameters are, and need no pydantic in the run's process."""
    if type(value) in _PLAIN_SCALARS:
        return value
    if type(value) is list:
        items = [_plain_copy(item) for item in value]
        return _NOT_PLAIN if any(item is _NOT_PLAIN for item in items) else items
    if type(value) is dict and all(type(key) is str for key in value):
        fields = {key: _plain_copy(item) for key, item in value.items()}
        return _NOT_PLAIN if any(item is _NOT_PLAIN for item in fields.values()) else fields
    return _NOT_PLAIN


def _type_hints(fn: Callable[..., Any]) -> dict[str, Any]:
    """The function's resolved annotations. One that cannot be resolved (a name imported only
    under TYPE_CHECKING) leaves just its own parameter unvalidated, not all of them."""
    try:
        return typing.get_type_hints(fn, include_extras=True)
    except Exception:
        pass
    hints: dict[str, Any] = {}
    globalns = getattr(inspect.unwrap(fn), "__globals__", None)
    for name, annotation in getattr(fn, "__annotations__", {}).items():
        def shim() -> None: ...
        shim.__annotations__ = {name: annotation}
        try:
            hints.update(typing.get_type_hints(shim, globalns=globalns, include_extras=True))
        except Exception:
            continue
    return hints


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
