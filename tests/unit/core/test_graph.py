"""Graph checks: one cycle reported as a closed path, and dependency order."""

from __future__ import annotations

import itertools

import pytest

from legato.core.graph import find_cycle, topological_order


def test_acyclic_graph_has_no_cycle() -> None:
    assert find_cycle({"c": ["a", "b"], "b": ["a"], "a": []}) is None
    assert find_cycle({}) is None


def test_two_node_cycle_is_reported_as_a_closed_path() -> None:
    assert find_cycle({"a": ["b"], "b": ["a"]}) == ["a", "b", "a"]


def test_self_loop_is_a_cycle() -> None:
    assert find_cycle({"a": ["a"]}) == ["a", "a"]


def test_cycle_behind_an_acyclic_prefix_is_found_and_excludes_the_prefix() -> None:
    edges = {"start": ["x"], "x": ["y"], "y": ["z"], "z": ["x"], "other": []}
    cycle = find_cycle(edges)
    assert cycle is not None
    assert cycle[0] == cycle[-1]
    assert set(cycle) == {"x", "y", "z"}
    # each step of the path is a real edge
    for node, dep in itertools.pairwise(cycle):
        assert dep in edges[node]


def test_dependencies_only_mentioned_as_targets_are_nodes_too() -> None:
    assert find_cycle({"a": ["b"]}) is None
    assert topological_order({"a": ["b"]}) == ["b", "a"]


def test_topological_order_puts_each_node_after_its_dependencies() -> None:
    edges = {"report": ["clean", "load"], "clean": ["load"], "load": ["fetch"], "fetch": [],
             "audit": ["fetch"]}
    order = topological_order(edges)
    assert sorted(order) == sorted(edges)
    position = {n: i for i, n in enumerate(order)}
    for node, deps in edges.items():
        for dep in deps:
            assert position[dep] < position[node], (dep, node, order)


def test_topological_order_handles_a_deep_chain_without_recursion_limits() -> None:
    n = 5000
    edges = {i: [i - 1] if i else [] for i in range(n)}
    assert topological_order(edges) == list(range(n))


def test_topological_order_raises_with_the_cycle_path() -> None:
    with pytest.raises(ValueError, match="a -> b -> a"):
        topological_order({"a": ["b"], "b": ["a"]})
