"""Task inputs: finding futures inside arguments and replacing them with values, with the
unmapped / allow_failure / quote annotations."""

from __future__ import annotations

from typing import Any

from legato import LegatoFuture, State, allow_failure, quote, unmapped
from legato.core.states import StateType
from legato.engine.inputs import collect_futures, resolve

S = StateType


def _done(value: Any, key: str = "t-0") -> LegatoFuture[Any]:
    future: LegatoFuture[Any] = LegatoFuture(f"id-{key}", key)
    future._set_state(State(S.COMPLETED, data=value))
    return future


def _found(value: Any) -> list[tuple[str, bool]]:
    found: list[tuple[LegatoFuture[Any], bool]] = []
    collect_futures(value, found)
    return [(f.task_key, allowed) for f, allowed in found]


def test_futures_are_found_in_nested_containers() -> None:
    a, b, c, d = (_done(i, f"t-{i}") for i in range(4))
    value = [a, (1, {"k": b, c: "as key"}), {d}, "text", 5]
    assert sorted(_found(value)) == [("t-0", False), ("t-1", False), ("t-2", False),
                                    ("t-3", False)]


def test_allow_failure_marks_the_futures_inside_it() -> None:
    a, b = _done(1, "a-0"), _done(2, "b-0")
    assert _found([allow_failure([a]), unmapped(b)]) == [("a-0", True), ("b-0", False)]


def test_quote_hides_its_futures() -> None:
    assert _found(quote([_done(1)])) == []


def test_resolve_replaces_futures_and_unwraps_annotations() -> None:
    a, b = _done(10, "a-0"), _done(20, "b-0")
    value = {"list": [a, 1], "tuple": (b,), "set": frozenset({3}), "un": unmapped(a),
             "quoted": quote(a)}

    def resolve_future(future: LegatoFuture[Any], allowed: bool) -> Any:
        state = future._state
        assert state is not None
        return state.result()

    resolved = resolve(value, resolve_future)
    assert resolved["list"] == [10, 1]
    assert resolved["tuple"] == (20,)
    assert resolved["set"] == frozenset({3})
    assert resolved["un"] == 10
    assert resolved["quoted"] is a


def test_resolve_passes_allowed_for_allow_failure_only() -> None:
    a = _done(1)
    calls: list[bool] = []

    def resolve_future(future: LegatoFuture[Any], allowed: bool) -> Any:
        calls.append(allowed)
        return None

    resolve([a, allow_failure(a)], resolve_future)
    assert calls == [False, True]


def test_annotations_repr_and_unwrap() -> None:
    assert repr(unmapped([1])) == "unmapped([1])"
    assert allow_failure(3).unwrap() == 3
