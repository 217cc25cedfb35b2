"""Time-ordered unique ids (UUIDv7 layout) that are cheap to make on the hot path."""

from __future__ import annotations

import itertools
import os
import random
import time

_process_bits = random.Random(os.urandom(16)).getrandbits(50)
_counter = itertools.count()


def _reseed() -> None:
    global _process_bits, _counter
    _process_bits = random.Random(os.urandom(16)).getrandbits(50)
    _counter = itertools.count()


os.register_at_fork(after_in_child=_reseed)


def new_id() -> str:
    """A UUIDv7-shaped string: 48 bits of milliseconds, then a per-process counter and
    random bits. Unique within a process by the counter (next() on itertools.count is
    atomic), across processes by 50 random bits chosen at start-up.

    >>> len(new_id())
    36
    """
    n = next(_counter)
    ms = time.time_ns() // 1_000_000
    # 12 bits of counter in rand_a; 12 more counter bits + 50 process bits in rand_b.
    value = ((ms << 80) | (0x7000 << 64) | ((n & 0xFFF) << 64) | (0b10 << 62)
             | (((n >> 12) & 0xFFF) << 50) | _process_bits)
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
