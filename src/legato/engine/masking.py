"""Secret masking: every secret value loaded in this process (`Secret.load(...).get()`, YAML
`{{secrets.NAME}}`) is replaced by MASK in run log lines, captured prints, state messages and
artifact text. Values shorter than MIN_MASKED_LENGTH are not masked: hiding every "1" or
"abc" would garble the logs while protecting nothing (a password that short is no secret)."""

from __future__ import annotations

import re
import threading
from typing import Any

MASK = "********"
MIN_MASKED_LENGTH = 4

_lock = threading.Lock()
_values: set[str] = set()
_pattern: re.Pattern[str] | None = None


def register_secret(value: str) -> None:
    """Mask `value` (and each long enough line of a multi-line value, such as a PEM key)
    wherever this process writes run text from now on."""
    global _pattern
    parts = {value, *value.splitlines()}
    fresh = {p for p in parts if len(p.strip()) >= MIN_MASKED_LENGTH} - _values
    if not fresh:
        return
    with _lock:
        _values.update(fresh)
        # Longest first, so a value that contains another is masked whole.
        ordered = sorted(_values, key=len, reverse=True)
        _pattern = re.compile("|".join(re.escape(v) for v in ordered))


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


def forget_secrets() -> None:
    """Stop masking every value registered so far (tests)."""
    global _pattern
    with _lock:
        _values.clear()
        _pattern = None
