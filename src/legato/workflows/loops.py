"""Loop expansion of a step or DAG task: `withItems` (a list in the manifest), `withParam`
(a JSON list, usually an earlier step's output) and `withSequence` (count or start/end,
with an optional printf format); items are substituted in the caller's scope."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from legato.errors import ManifestError
from legato.manifests.argo.model import Step
from legato.manifests.argo.templating import substitute, substitute_all

MAX_ITEMS = 10_000


def expand_loop(step: Step, scope: Mapping[str, Any], where: str) -> list[Any]:
    """The items a looping step runs over."""
    if step.with_items is not None:
        items = [substitute_all(item, scope, f"{where} withItems") for item in step.with_items]
    elif step.with_param is not None:
        text = substitute(step.with_param, scope, f"{where} withParam")
        try:
            value = json.loads(text)
        except ValueError:
            raise ManifestError(f"{where}: withParam is not a JSON list ({text[:80]!r}); make "
                                "the step it reads print a JSON array.") from None
        if not isinstance(value, list):
            raise ManifestError(f"{where}: withParam is a JSON {type(value).__name__}, not a "
                                "list; give a JSON array.")
        items = value
    elif step.with_sequence is not None:
        items = _sequence(step, scope, where)
    else:
        return []
    if len(items) > MAX_ITEMS:
        raise ManifestError(f"{where}: the loop has {len(items)} items; keep it under "
                            f"{MAX_ITEMS} or split the work.")
    return items


def _number(value: int | str | None, scope: Mapping[str, Any], where: str) -> int | None:
    if value is None:
        return None
    text = substitute(str(value), scope, where)
    try:
        return int(text)
    except ValueError:
        raise ManifestError(f"{where}: withSequence value {text!r} is not a whole number.") \
            from None


def _sequence(step: Step, scope: Mapping[str, Any], where: str) -> list[Any]:
    seq = step.with_sequence
    assert seq is not None
    place = f"{where} withSequence"
    count = _number(seq.count, scope, place)
    start = _number(seq.start, scope, place) or 0
    end = _number(seq.end, scope, place)
    if count is not None and end is not None:
        raise ManifestError(f"{where}: withSequence has both count and end; give one of them.")
    if count is not None:
        numbers = list(range(start, start + count))
    elif end is not None:
        numbers = list(range(start, end + 1)) if end >= start else list(range(start, end - 1, -1))
    else:
        raise ManifestError(f"{where}: withSequence needs count or end.")
    if seq.format:
        return [_printf(seq.format, n, where) for n in numbers]
    return [str(n) for n in numbers]


def _printf(fmt: str, number: int, where: str) -> str:
    if not re.fullmatch(r"[^%]*%[-+ 0#]*\d*[dxXo][^%]*", fmt):
        raise ManifestError(f"{where}: withSequence format {fmt!r} must hold one integer verb "
                            "such as %02d.")
    return fmt % number


def item_label(item: Any) -> str:
    """How an item appears in a node name, as Argo shows it: `print(0:a)`."""
    if isinstance(item, str):
        text = item
    else:
        text = json.dumps(item, separators=(",", ":"), sort_keys=True)
    return text if len(text) <= 60 else text[:57] + "..."
