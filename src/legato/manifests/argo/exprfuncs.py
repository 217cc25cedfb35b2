"""The functions and operators of the `{{= expr }}` language (see `exprlang`): expr-lang's
builtins that workflows use, Argo's additions (`asInt`, `asFloat`, `jsonpath`, `toJson`) and
the common `sprig.*` helpers. Every function checks its arguments and raises FunctionError."""

from __future__ import annotations

import base64
import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from legato.manifests.argo.jsonpath import JsonPathError, query


class FunctionError(Exception):
    """A function or operator got values it cannot work with; the message says which."""


SPRIG_NAMESPACE: dict[str, Any] = {}
MAX_SEQUENCE = 100_000
MAX_TEXT = 1024 * 1024


def _bounded_count(count: int, unit: int) -> int:
    if count * max(unit, 1) > MAX_TEXT:
        raise FunctionError(f"the result would be over {MAX_TEXT} characters")
    return count  # `sprig` as a bare name: only `sprig.f(...)` is useful


def kind(value: Any) -> str:
    """The expr-lang name of a value's type, for messages."""
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, Mapping):
        return "map"
    return type(value).__name__


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _equal(left: Any, right: Any) -> bool:
    if _is_number(left) and _is_number(right):
        return bool(left == right)
    if type(left) is not type(right) and not (
        isinstance(left, Mapping) and isinstance(right, Mapping)
    ):
        return False
    return bool(left == right)


def _ordered(op: str, left: Any, right: Any) -> bool:
    if not ((_is_number(left) and _is_number(right)) or
            (isinstance(left, str) and isinstance(right, str))):
        raise FunctionError(f"cannot compare {kind(left)} {left!r} {op} {kind(right)} {right!r}; "
                            "convert with asInt() or asFloat() first")
    if op == "<":
        return bool(left < right)
    if op == ">":
        return bool(left > right)
    if op == "<=":
        return bool(left <= right)
    return bool(left >= right)


def _contains(container: Any, value: Any) -> bool:
    if isinstance(container, str):
        if not isinstance(value, str):
            raise FunctionError(f"cannot look for {kind(value)} in a string")
        return value in container
    if isinstance(container, Mapping):
        return value in container
    if isinstance(container, (list, tuple)):
        return any(_equal(item, value) for item in container)
    raise FunctionError(f"cannot look inside {kind(container)} {container!r}")


def _strings(op: str, left: Any, right: Any) -> tuple[str, str]:
    if isinstance(left, str) and isinstance(right, str):
        return left, right
    raise FunctionError(f"'{op}' needs two strings but got {kind(left)} and {kind(right)}")


def apply_operator(op: str, left: Any, right: Any) -> Any:
    """Binary operators other than the short-circuit ones (&&, ||, ??)."""
    if op == "==":
        return _equal(left, right)
    if op == "!=":
        return not _equal(left, right)
    if op in ("<", ">", "<=", ">="):
        return _ordered(op, left, right)
    if op == "in":
        return _contains(right, left)
    if op == "not in":
        return not _contains(right, left)
    if op == "contains":
        return _contains(left, right)
    if op == "startsWith":
        a, b = _strings(op, left, right)
        return a.startswith(b)
    if op == "endsWith":
        a, b = _strings(op, left, right)
        return a.endswith(b)
    if op == "matches":
        a, b = _strings(op, left, right)
        return _regex(b).search(a) is not None
    if op == "..":
        if not (isinstance(left, int) and isinstance(right, int)):
            raise FunctionError("'..' needs two integers")
        if right - left >= MAX_SEQUENCE:
            raise FunctionError(f"the range {left}..{right} is longer than {MAX_SEQUENCE}")
        return list(range(left, right + 1))
    if op == "+" and isinstance(left, str) and isinstance(right, str):
        return left + right
    if op == "+" and isinstance(left, list) and isinstance(right, list):
        return left + right
    return _arithmetic(op, left, right)


def _arithmetic(op: str, left: Any, right: Any) -> Any:
    if not (_is_number(left) and _is_number(right)):
        raise FunctionError(f"'{op}' needs numbers but got {kind(left)} {left!r} and "
                            f"{kind(right)} {right!r}; convert with asInt() or asFloat()")
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    if op == "**":
        try:  # in floats: an integer power of a huge exponent would never finish
            return float(left) ** float(right)
        except (OverflowError, ZeroDivisionError) as exc:
            raise FunctionError(f"{left!r} ** {right!r} cannot be computed ({exc})") from None
    if right == 0 and op in ("/", "%"):
        raise FunctionError(f"division by zero in {left!r} {op} {right!r}")
    if op == "/":
        return left / right
    if op == "%":
        if not (isinstance(left, int) and isinstance(right, int)):
            raise FunctionError("'%' needs integers")
        return int(math.fmod(left, right))
    raise FunctionError(f"unknown operator {op!r}")


def _regex(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise FunctionError(f"bad regular expression {pattern!r} ({exc})") from None


def finish_predicate(name: str, values: list[Any], results: list[Any],
                     fail: Callable[[str], Exception]) -> Any:
    """The value of map/filter/all/any/... given each element's predicate result."""
    if name == "map":
        return results
    for result in results:
        if not isinstance(result, bool) and name not in ("sortBy", "groupBy"):
            raise fail(f"the predicate of {name}() must give true or false, not {kind(result)}")
    if name == "filter":
        return [v for v, keep in zip(values, results, strict=True) if keep]
    if name == "all":
        return all(results)
    if name == "any":
        return any(results)
    if name == "none":
        return not any(results)
    if name == "one":
        return sum(1 for r in results if r) == 1
    if name == "count":
        return sum(1 for r in results if r)
    if name == "find":
        return next((v for v, r in zip(values, results, strict=True) if r), None)
    if name == "findIndex":
        return next((i for i, r in enumerate(results) if r), -1)
    if name == "sortBy":
        return [v for _, v in sorted(zip(results, values, strict=True), key=lambda p: p[0])]
    groups: dict[str, list[Any]] = {}
    for value, key in zip(values, results, strict=True):
        groups.setdefault(to_string(key), []).append(value)
    return groups


# -- conversions ------------------------------------------------------------------------
def to_string(value: Any) -> str:
    """How a value appears when substituted into a manifest (Go's formatting)."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return repr(value)
    if isinstance(value, int):
        return str(value)
    return to_json(value)


def to_json(value: Any) -> str:
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise FunctionError(f"cannot encode {kind(value)} as JSON ({exc})") from None


def from_json(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError as exc:
        raise FunctionError(f"{text[:60]!r} is not JSON ({exc})") from None


def as_int(value: Any) -> int:
    if isinstance(value, bool):
        raise FunctionError("cannot convert a bool to an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            try:
                return int(float(value.strip()))
            except ValueError:
                pass
    raise FunctionError(f"{value!r} is not an integer")


def as_float(value: Any) -> float:
    if _is_number(value):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            pass
    raise FunctionError(f"{value!r} is not a number")


def _length(value: Any) -> int:
    if isinstance(value, (str, list, tuple, Mapping)):
        return len(value)
    raise FunctionError(f"cannot take the length of {kind(value)}")


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise FunctionError(f"{name} needs a string but got {kind(value)}")
    return value


def _jsonpath(document: Any, path: Any) -> Any:
    try:
        return query(from_json(document), _text(path, "the path"))
    except JsonPathError as exc:
        raise FunctionError(str(exc)) from None


def _join(values: Any, sep: Any = "") -> str:
    if not isinstance(values, (list, tuple)):
        raise FunctionError(f"join needs a list but got {kind(values)}")
    return _text(sep, "the separator").join(to_string(v) for v in values)


def _split(text: Any, sep: Any, n: Any = -1) -> list[str]:
    limit = as_int(n)
    return _text(text, "split").split(_text(sep, "the separator"), -1 if limit < 0 else limit - 1)


def _replace(text: Any, old: Any, new: Any) -> str:
    return _text(text, "replace").replace(_text(old, "replace"), _text(new, "replace"))


def _keys(value: Any) -> list[Any]:
    if not isinstance(value, Mapping):
        raise FunctionError(f"keys needs a map but got {kind(value)}")
    return list(value)


def _numbers(values: tuple[Any, ...], name: str) -> list[int | float]:
    flat = list(values[0]) if len(values) == 1 and isinstance(values[0], list) else list(values)
    if not flat or not all(_is_number(v) for v in flat):
        raise FunctionError(f"{name} needs numbers")
    return flat


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, (list, str)) and value else None


def _last(value: Any) -> Any:
    return value[-1] if isinstance(value, (list, str)) and value else None


def _b64dec(value: Any) -> str:
    try:
        return base64.b64decode(_text(value, "b64dec")).decode()
    except ValueError as exc:
        raise FunctionError(f"not base64 ({exc})") from None


BUILTINS: dict[str, Callable[..., Any]] = {
    "len": _length,
    "string": to_string,
    "int": as_int,
    "float": as_float,
    "asInt": as_int,
    "asFloat": as_float,
    "toJson": to_json,
    "toJSON": to_json,
    "fromJson": from_json,
    "fromJSON": from_json,
    "jsonpath": _jsonpath,
    "lower": lambda s: _text(s, "lower").lower(),
    "upper": lambda s: _text(s, "upper").upper(),
    "trim": lambda s, chars=None: _text(s, "trim").strip(chars),
    "trimPrefix": lambda s, p: _text(s, "trimPrefix").removeprefix(_text(p, "trimPrefix")),
    "trimSuffix": lambda s, p: _text(s, "trimSuffix").removesuffix(_text(p, "trimSuffix")),
    "split": _split,
    "join": _join,
    "replace": _replace,
    "contains": lambda a, b: _contains(a, b),
    "startsWith": lambda a, b: apply_operator("startsWith", a, b),
    "endsWith": lambda a, b: apply_operator("endsWith", a, b),
    "hasPrefix": lambda a, b: apply_operator("startsWith", a, b),
    "hasSuffix": lambda a, b: apply_operator("endsWith", a, b),
    "indexOf": lambda s, sub: _text(s, "indexOf").find(_text(sub, "indexOf")),
    "keys": _keys,
    "values": lambda m: list(m.values()) if isinstance(m, Mapping) else _keys(m),
    "abs": lambda n: abs(_numbers((n,), "abs")[0]),
    "max": lambda *v: max(_numbers(v, "max")),
    "min": lambda *v: min(_numbers(v, "min")),
    "sum": lambda v: sum(_numbers((v,), "sum")),
    "first": _first,
    "last": _last,
    "reverse": lambda v: list(reversed(v)) if isinstance(v, list) else _keys(v),
}

# sprig takes its subject last (pipeline style): sprig.replace(old, new, text).
SPRIG: dict[str, Callable[..., Any]] = {
    "trim": lambda s: _text(s, "trim").strip(),
    "upper": lambda s: _text(s, "upper").upper(),
    "lower": lambda s: _text(s, "lower").lower(),
    "title": lambda s: _text(s, "title").title(),
    "replace": lambda old, new, s: _replace(s, old, new),
    "contains": lambda sub, s: _text(sub, "contains") in _text(s, "contains"),
    "hasPrefix": lambda p, s: _text(s, "hasPrefix").startswith(_text(p, "hasPrefix")),
    "hasSuffix": lambda p, s: _text(s, "hasSuffix").endswith(_text(p, "hasSuffix")),
    "repeat": lambda n, s: _text(s, "repeat") * _bounded_count(as_int(n), len(s)),
    "substr": lambda a, b, s: _text(s, "substr")[as_int(a):as_int(b)],
    "trunc": lambda n, s: _text(s, "trunc")[:as_int(n)],
    "quote": lambda s: '"' + to_string(s) + '"',
    "squote": lambda s: "'" + to_string(s) + "'",
    "splitList": lambda sep, s: _text(s, "splitList").split(_text(sep, "splitList")),
    "join": lambda sep, values: _join(values, sep),
    "default": lambda fallback, value=None: value if value not in (None, "", [], {}, 0,
                                                                     False) else fallback,
    "empty": lambda value: value in (None, "", [], {}, 0, False),
    "ternary": lambda yes, no, test: yes if test else no,
    "toString": to_string,
    "toJson": to_json,
    "fromJson": from_json,
    "atoi": as_int,
    "int": as_int,
    "int64": as_int,
    "float64": as_float,
    "add": lambda *v: sum(as_int(x) for x in v),
    "sub": lambda a, b: as_int(a) - as_int(b),
    "mul": lambda *v: math.prod(as_int(x) for x in v),
    "div": lambda a, b: int(_arithmetic("/", as_int(a), as_int(b))),
    "mod": lambda a, b: _arithmetic("%", as_int(a), as_int(b)),
    "max": lambda *v: max(as_int(x) for x in v),
    "min": lambda *v: min(as_int(x) for x in v),
    "list": lambda *v: list(v),
    "dict": lambda *kv: {to_string(kv[i]): kv[i + 1] for i in range(0, len(kv) - 1, 2)},
    "get": lambda m, k: m.get(k, "") if isinstance(m, Mapping) else "",
    "first": _first,
    "last": _last,
    "b64enc": lambda s: base64.b64encode(_text(s, "b64enc").encode()).decode(),
    "b64dec": _b64dec,
}
