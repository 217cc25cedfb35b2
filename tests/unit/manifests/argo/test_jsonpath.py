"""The JSONPath subset behind `jsonpath()`: keys, indexes, wildcards, recursive descent."""

from __future__ import annotations

from typing import Any

import pytest

from legato.manifests.argo.jsonpath import JsonPathError, query

DOC: dict[str, Any] = {"store": {"book": [{"title": "A", "price": 8}, {"title": "B", "price": 12}],
                                 "bike": {"price": 20}}, "my-key": "v"}


@pytest.mark.parametrize(("path", "expected"), [
    ("$", DOC),
    ("$.store.bike.price", 20),
    ("$['my-key']", "v"),
    ("$.store.book[1].title", "B"),
    ("$.store.book[-1].title", "B"),
    ("$.store.book[*].title", ["A", "B"]),
    ("$.store.book[0,1].price", [8, 12]),
    ("$..price", [8, 12, 20]),
    ("$.store.*", [DOC["store"]["book"], DOC["store"]["bike"]]),
])
def test_path_selects_values(path: str, expected: Any) -> None:
    assert query(DOC, path) == expected


@pytest.mark.parametrize(("path", "fragment"), [
    ("store", "must start with '$'"),
    ("$.store.[", "cannot read JSONPath"),
    ("$.nothing", "matches nothing"),
    ("$.store.book[9]", "matches nothing"),
])
def test_bad_or_empty_path_is_an_error(path: str, fragment: str) -> None:
    with pytest.raises(JsonPathError, match=fragment.replace("$", r"\$").replace(".", r"\.")
                       .replace("[", r"\[")):
        query(DOC, path)
