"""Loop expansion, aggregated loop outputs and synchronization limits."""

from __future__ import annotations

import pytest

from legato.errors import ManifestError
from legato.manifests.argo.model import Sequence, Step
from legato.workflows.loops import expand_loop, item_label
from legato.workflows.nodes import NodeResult, aggregate, publish
from legato.workflows.sync import semaphore_limit


def test_with_items_are_substituted() -> None:
    step = Step(name="s", with_items=("{{inputs.parameters.x}}", {"k": "{{inputs.parameters.x}}"}))
    assert expand_loop(step, {"inputs.parameters.x": "v"}, "s") == ["v", {"k": "v"}]


def test_with_param_reads_a_json_list() -> None:
    step = Step(name="s", with_param="{{steps.gen.outputs.result}}")
    scope = {"steps.gen.outputs.result": '[1, {"a": 2}]'}
    assert expand_loop(step, scope, "s") == [1, {"a": 2}]
    with pytest.raises(ManifestError, match="not a list"):
        expand_loop(step, {"steps.gen.outputs.result": '{"a": 1}'}, "s")


@pytest.mark.parametrize(("sequence", "expected"), [
    (Sequence(count="3"), ["0", "1", "2"]),
    (Sequence(start="2", end="4"), ["2", "3", "4"]),
    (Sequence(start="3", end="1"), ["3", "2", "1"]),
    (Sequence(count=2, start=5, format="item-%02d"), ["item-05", "item-06"]),
])
def test_with_sequence(sequence: Sequence, expected: list[str]) -> None:
    assert expand_loop(Step(name="s", with_sequence=sequence), {}, "s") == expected


def test_bad_sequences_are_errors() -> None:
    with pytest.raises(ManifestError, match="both count and end"):
        expand_loop(Step(name="s", with_sequence=Sequence(count=1, end=2)), {}, "s")
    with pytest.raises(ManifestError, match="one integer verb"):
        expand_loop(Step(name="s", with_sequence=Sequence(count=1, format="%s")), {}, "s")
    with pytest.raises(ManifestError, match="keep it under"):
        expand_loop(Step(name="s", with_sequence=Sequence(count=20_000)), {}, "s")


def test_aggregated_outputs_are_json_lists() -> None:
    children = [NodeResult("Succeeded", {"result": "1", "parameters": {"p": "a"}}),
                NodeResult("Succeeded", {"result": '{"x": 1}', "parameters": {"p": "b"}})]
    scope = publish("steps.loop", aggregate(children))
    assert scope["steps.loop.status"] == "Succeeded"
    assert scope["steps.loop.outputs.result"] == '["1", {"x": 1}]'
    assert scope["steps.loop.outputs.parameters.p"] == '["a", "b"]'
    assert scope["steps.loop.outputs.parameters"] == '[{"p": "a"}, {"p": "b"}]'


def test_a_failed_child_fails_the_loop() -> None:
    node = aggregate([NodeResult("Succeeded"), NodeResult("Failed", message="boom")])
    assert (node.phase, node.message) == ("Failed", "boom")


def test_item_labels_are_short() -> None:
    assert item_label("a") == "a"
    assert item_label({"b": 1, "a": 2}) == '{"a":2,"b":1}'
    assert len(item_label("x" * 200)) == 60


def test_semaphore_limit_comes_from_the_environment() -> None:
    raw = {"configMapKeyRef": {"name": "my-config", "key": "workflow"}}
    assert semaphore_limit(raw, {}) == ("my-config.workflow", 1)
    assert semaphore_limit(raw, {"LEGATO_SEMAPHORE_MY_CONFIG_WORKFLOW": "3"}) == (
        "my-config.workflow", 3)


def test_node_keys_fit_the_store_and_stay_unique() -> None:
    from legato.workflows.nodes import MAX_KEY, node_key

    short = "main[0].step(1:a)"
    assert node_key(short) == short
    one, two = "x" * 600 + "a", "x" * 600 + "b"
    assert len(node_key(one)) <= MAX_KEY and node_key(one) != node_key(two)
