"""The benchmark workloads as Legato flows, wrapping the very functions the floors call."""

from __future__ import annotations

from benchmarks import floors
from legato import flow, task

noop = task(floors.noop)
total = task(floors.total)
inc = task(floors.inc)
add = task(floors.add)


@flow
def w1(n: int) -> int:
    """N independent no-op tasks fanned out with .map, then one task summing them."""
    return total(noop.map(range(n)))


@flow
def w2(hops: int = floors.W2_HOPS) -> int:
    """A chain: each direct task call takes the previous task's result."""
    x = 0
    for _ in range(hops):
        x = inc(x)
    return x


@flow
def w3(layers: int = floors.W3_LAYERS, width: int = floors.W3_WIDTH) -> int:
    """Layers of submitted tasks, each depending on two futures of the layer before."""
    prev = [add.submit(j, 1) for j in range(width)]
    for _ in range(layers - 1):
        prev = [add.submit(prev[j], prev[(j + 1) % width]) for j in range(width)]
    return sum(f.result() for f in prev)
