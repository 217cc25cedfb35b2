"""Argo durations: a bare number of seconds ("30"), or Go's form ("1m30s", "2h", "500ms")."""

from __future__ import annotations

import re

from legato.errors import ManifestError

_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d)")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0,
          "d": 86400.0}


def parse_duration(text: str, where: str) -> float:
    """Seconds in a duration; ManifestError naming the place for anything else.

    >>> parse_duration("1m30s", "x"), parse_duration("20", "x")
    (90.0, 20.0)
    """
    raw = str(text).strip()
    try:
        seconds = float(raw)
    except ValueError:
        pos, seconds = 0, 0.0
        while pos < len(raw):
            match = _PART.match(raw, pos)
            if match is None:
                raise ManifestError(
                    f"{where}: {text!r} is not a duration; write seconds (30) or a duration "
                    "such as 90s, 5m or 1h30m.") from None
            seconds += float(match.group(1)) * _UNITS[match.group(2)]
            pos = match.end()
        if not raw:
            raise ManifestError(f"{where}: the duration is empty; write seconds or e.g. 5m.") \
                from None
    if seconds < 0:
        raise ManifestError(f"{where}: the duration {text!r} is negative; give 0 or more.")
    return seconds
