"""Loads objects named by "module:attribute" strings (backend factories, launchers), so
lower layers can use implementations from higher ones without importing them."""

from __future__ import annotations

import importlib
from typing import Any

from legato.errors import ConfigError


def load_object(reference: str) -> Any:
    """Import `module:attribute` and return the attribute.

    >>> load_object("os.path:join")("a", "b")
    'a/b'
    """
    module_name, sep, attribute = reference.partition(":")
    if not sep or not module_name or not attribute:
        raise ConfigError(
            f"{reference!r} is not an object reference; write it as 'package.module:name'."
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(
            f"cannot import module {module_name!r} named by {reference!r} ({exc}); "
            "install the package or fix the reference."
        ) from exc
    obj: Any = module
    for part in attribute.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ConfigError(
                f"module {module_name!r} has no attribute {attribute!r} named by {reference!r}; "
                "fix the reference."
            ) from None
    return obj
