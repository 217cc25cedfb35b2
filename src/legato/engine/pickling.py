"""cloudpickle on first use. Flows loaded from a file are pickled by value (a process pool's
or Dask's workers cannot import them by name); they are registered when something first
pickles, so a run that never pickles does not import cloudpickle before its first line."""

from __future__ import annotations

import sys
import threading
import types
from typing import Any

_lock = threading.Lock()
_pending: list[types.ModuleType] = []


def pickle_by_value(module: types.ModuleType) -> None:
    """Have cloudpickle pickle `module`'s functions and classes by value from now on (at
    once if cloudpickle is loaded already, else when `cloudpickle()` first loads it)."""
    with _lock:
        loaded = sys.modules.get("cloudpickle")
        if loaded is None:
            _pending.append(module)
            return
    _register(loaded, [module])


def cloudpickle() -> Any:
    """The cloudpickle module, with every module given to `pickle_by_value` registered."""
    import cloudpickle as module  # deferred: a run that pickles nothing never loads it

    with _lock:
        pending = _pending[:]
        _pending.clear()
    _register(module, pending)
    return module


def _register(module: Any, targets: list[types.ModuleType]) -> None:
    for target in targets:
        try:
            module.register_pickle_by_value(target)
        except Exception:  # only pickling needs this; never block loading a flow on it
            pass
