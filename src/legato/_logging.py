"""Logger names for Legato's own modules, all under the "legato" hierarchy so one handler
(set up at the edges: CLI, server) controls them."""

from __future__ import annotations

import logging


def get_logger(name: str) -> logging.Logger:
    """Return the logger for a Legato module.

    >>> get_logger("legato.engine.recorder").name
    'legato.engine.recorder'
    >>> get_logger("recorder").name
    'legato.recorder'
    """
    if name != "legato" and not name.startswith("legato."):
        name = f"legato.{name}"
    return logging.getLogger(name)
