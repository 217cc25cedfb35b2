"""Every feature example in examples/yaml validates without a problem; the `validate-*`
demos of mistakes do not."""

from __future__ import annotations

from pathlib import Path

import pytest

from legato.manifests.argo import validate

EXAMPLES = Path(__file__).resolve().parents[4] / "examples" / "yaml"
FEATURES = sorted(p for p in EXAMPLES.glob("*.yaml") if not p.name.startswith("validate-"))
MISTAKES = sorted(EXAMPLES.glob("validate-*.yaml"))


@pytest.mark.parametrize("example", FEATURES, ids=lambda p: p.name)
def test_feature_examples_are_valid(example: Path) -> None:
    assert [str(p) for p in validate([example])] == []


@pytest.mark.parametrize("example", MISTAKES, ids=lambda p: p.name)
def test_mistake_demos_report_problems(example: Path) -> None:
    assert validate([example]) != []
