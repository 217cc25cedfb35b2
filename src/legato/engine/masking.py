"""Secret masking: every secret value loaded in this process (`Secret.load(...).get()`, YAML
`{{secrets.NAME}}`) is replaced by MASK in run log lines, captured prints, state messages and
artifact text, and results holding one are stored masked (engine.results). Values shorter than
MIN_MASKED_LENGTH are not masked: hiding every "1" or "abc" would garble the logs while
protecting nothing (a password that short is no secret)."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from typing import Any

MASK = "********"
MIN_MASKED_LENGTH = 4
_MAX_DEPTH = 64

_lock = threading.Lock()
_values: set[str] = set()
_pattern: re.Pattern[str] | None = None
# The same values UTF-8 encoded, to find them in pickled results (pickle keeps str as UTF-8).
_bytes_pattern: re.Pattern[bytes] | None = None


def register_secret(value: str) -> None:
    """Mask `value` (and each long enough line of a multi-line value, such as a PEM key)
    wherever this process writes run text from now on."""
    global _pattern, _bytes_pattern
    parts = {value, *value.splitlines()}
    fresh = {p for p in parts if len(p.strip()) >= MIN_MASKED_LENGTH} - _values
    if not fresh:
        return
    with _lock:
        _values.update(fresh)
        # Longest first, so a value that contains another is masked whole.
        ordered = sorted(_values, key=len, reverse=True)
        _pattern = re.compile("|".join(re.escape(v) for v in ordered))
        _bytes_pattern = re.compile(b"|".join(re.escape(v.encode("utf-8", "surrogatepass"))
                                              for v in ordered))


def register_secrets(values: Iterable[str]) -> None:
    """Register each of `values` (those another process registered and shipped here)."""
    for value in values:
        register_secret(value)


def registered_secrets() -> frozenset[str]:
    """Every value masked in this process (a process-pool child ships them to its parent)."""
    with _lock:
        return frozenset(_values)


def masking_active() -> bool:
    """Whether any secret value is registered (nothing to mask otherwise)."""
    return _pattern is not None


def mask(text: str) -> str:
    """`text` with every registered secret value replaced by MASK.

    >>> register_secret("hunter22"); mask("password=hunter22")
    'password=********'
    """
    pattern = _pattern
    if pattern is None or not text:
        return text
    return pattern.sub(MASK, text)


def mask_json(value: Any) -> Any:
    """`value` (JSON: str, numbers, lists, dicts) with secret values masked in its strings."""
    if _pattern is None:
        return value
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, list):
        return [mask_json(item) for item in value]
    if isinstance(value, dict):
        return {mask(str(k)): mask_json(v) for k, v in value.items()}
    return value


def holds_secret(value: Any) -> bool:
    """Whether a JSON value (str, numbers, lists, dicts) has a secret in a string or a key.
    Numbers are not searched: a result 2024 is not a leak of a secret "2024"."""
    pattern = _pattern
    if pattern is None:
        return False
    return _holds(pattern, value, 0)


def _holds(pattern: re.Pattern[str], value: Any, depth: int) -> bool:
    kind = type(value)
    if kind is str:
        return pattern.search(value) is not None
    if depth > _MAX_DEPTH:  # deeper than any JSON result holds; err on the hidden side
        return True
    if kind is list:
        return any(_holds(pattern, item, depth + 1) for item in value)
    if kind is dict:
        return any(pattern.search(k) is not None or _holds(pattern, v, depth + 1)
                   for k, v in value.items())
    return False


def bytes_hold_secret(data: bytes) -> bool:
    """Whether serialized bytes (a pickle) contain a secret value as UTF-8 text."""
    pattern = _bytes_pattern
    return pattern is not None and pattern.search(data) is not None


def forget_secrets() -> None:
    """Stop masking every value registered so far (tests)."""
    global _pattern, _bytes_pattern
    with _lock:
        _values.clear()
        _pattern = None
        _bytes_pattern = None
