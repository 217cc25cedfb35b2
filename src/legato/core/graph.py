"""Graph checks for explicit dependencies: cycle detection with the offending path."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from typing import TypeVar

N = TypeVar("N", bound=Hashable)


def find_cycle(edges: Mapping[N, Iterable[N]]) -> list[N] | None:
    """Return one cycle as a path [a, b, ..., a], or None if the graph is acyclic.

    `edges[n]` lists the nodes n depends on.

    >>> find_cycle({"a": ["b"], "b": ["a"]})
    ['a', 'b', 'a']
    """
    white, grey, black = 0, 1, 2
    color: dict[N, int] = {}
    for root in edges:
        if color.get(root, white) != white:
            continue
        stack: list[tuple[N, list[N]]] = [(root, list(edges.get(root, ())))]
        path: list[N] = [root]
        color[root] = grey
        while stack:
            node, pending = stack[-1]
            if pending:
                nxt = pending.pop()
                c = color.get(nxt, white)
                if c == grey:
                    return [*path[path.index(nxt) :], nxt]
                if c == white:
                    color[nxt] = grey
                    path.append(nxt)
                    stack.append((nxt, list(edges.get(nxt, ()))))
            else:
                color[node] = black
                path.pop()
                stack.pop()
    return None


def topological_order(edges: Mapping[N, Iterable[N]]) -> list[N]:
    """Nodes ordered so each comes after what it depends on; raises ValueError on a cycle."""
    cycle = find_cycle(edges)
    if cycle is not None:
        raise ValueError(" -> ".join(map(str, cycle)))
    order: list[N] = []
    seen: set[N] = set()

    def visit(n: N) -> None:
        stack = [(n, iter(edges.get(n, ())))]
        seen.add(n)
        while stack:
            node, it = stack[-1]
            for dep in it:
                if dep not in seen:
                    seen.add(dep)
                    stack.append((dep, iter(edges.get(dep, ()))))
                    break
            else:
                order.append(node)
                stack.pop()

    for n in edges:
        if n not in seen:
            visit(n)
    return order
