"""Task inputs: finding futures in arguments (they become graph edges), resolving them to
values, and the `unmapped` / `allow_failure` / `quote` annotations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from legato.engine.futures import LegatoFuture, LegatoFutureList

T = TypeVar("T")
_LEAVES = (type(None), bool, int, float, str, bytes)


class BaseAnnotation(Generic[T]):
    """Wraps a task argument to change how the engine treats it."""

    __slots__ = ("value",)

    def __init__(self, value: T) -> None:
        self.value = value

    def unwrap(self) -> T:
        return self.value

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.value!r})"


class unmapped(BaseAnnotation[T]):
    """Pass this argument whole to every mapped call instead of iterating over it."""

    __slots__ = ()


class allow_failure(BaseAnnotation[T]):
    """Run the task even if this upstream failed; the argument becomes the exception."""

    __slots__ = ()


class quote(BaseAnnotation[T]):
    """Pass this argument as is: do not look inside it for futures."""

    __slots__ = ()


def collect_futures(value: Any, found: list[tuple[LegatoFuture[Any], bool]],
                    allowed: bool = False, depth: int = 0) -> None:
    """Append (future, failure_allowed) for every future inside `value` (lists, tuples,
    sets, dicts, annotations)."""
    kind = type(value)
    if kind in _LEAVES:
        return
    if kind is LegatoFuture:
        found.append((value, allowed))
    elif kind is list or kind is LegatoFutureList or kind is tuple or kind is set or (
            kind is frozenset):
        if depth < 32:
            for item in value:
                if type(item) not in _LEAVES:
                    collect_futures(item, found, allowed, depth + 1)
    elif kind is dict:
        if depth < 32:
            for k, v in value.items():
                collect_futures(k, found, allowed, depth + 1)
                collect_futures(v, found, allowed, depth + 1)
    elif kind is allow_failure:
        collect_futures(value.value, found, True, depth + 1)
    elif kind is unmapped:
        collect_futures(value.value, found, allowed, depth + 1)


def resolve(value: Any, resolve_future: Callable[[LegatoFuture[Any], bool], Any],
            allowed: bool = False) -> Any:
    """Return `value` with futures replaced by their results and annotations unwrapped."""
    kind = type(value)
    if kind in _LEAVES:
        return value
    if kind is LegatoFuture:
        return resolve_future(value, allowed)
    if kind is list or kind is LegatoFutureList:
        return [resolve(v, resolve_future, allowed) for v in value]
    if kind is tuple:
        return tuple(resolve(v, resolve_future, allowed) for v in value)
    if kind is set or kind is frozenset:
        return kind(resolve(v, resolve_future, allowed) for v in value)
    if kind is dict:
        return {resolve(k, resolve_future, allowed): resolve(v, resolve_future, allowed)
                for k, v in value.items()}
    if kind is allow_failure:
        return resolve(value.value, resolve_future, True)
    if kind is unmapped:
        return resolve(value.value, resolve_future, allowed)
    if kind is quote:
        return value.value
    return value
