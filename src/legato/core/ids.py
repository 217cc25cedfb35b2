"""Time-ordered unique ids (UUIDv7 layout) that are cheap to make on the hot path."""

from __future__ import annotations

import os
import random
import threading
import time

_rng = random.Random(os.urandom(16))
_lock = threading.Lock()
_last_ms = 0
_seq = 0


def _reseed() -> None:
    _rng.seed(os.urandom(16))


os.register_at_fork(after_in_child=_reseed)


def new_id() -> str:
    """A UUIDv7-shaped string: 48 bits of milliseconds, a counter, then random bits.

    >>> len(new_id()), new_id() < new_id()
    (36, True)
    """
    global _last_ms, _seq
    with _lock:
        ms = time.time_ns() // 1_000_000  # noqa: TID251 - ids need raw wall time
        if ms <= _last_ms:
            ms = _last_ms
            _seq += 1
            if _seq > 0xFFF:
                ms += 1
                _seq = 0
        else:
            _seq = 0
        _last_ms = ms
        seq = _seq
        rand = _rng.getrandbits(62)
    value = (ms << 80) | (0x7 << 76) | (seq << 64) | (0b10 << 62) | rand
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
