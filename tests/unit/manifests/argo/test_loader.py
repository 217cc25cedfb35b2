"""The position-keeping YAML loader: positions of keys and values, multi-document files,
refused alias bombs, recursion, tags and duplicate keys."""

from __future__ import annotations

from pathlib import Path

from legato.manifests.argo.loader import MAX_DEPTH, load_file, load_text
from legato.manifests.argo.problems import Position

TEXT = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
spec:
  templates:
    - name: a
      container: {image: alpine, args: ["x", 5]}
"""


def test_values_and_keys_have_their_line_and_column() -> None:
    (doc,), problems = load_text(TEXT, "wf.yaml")
    assert problems == []
    assert doc.at(("spec", "templates", 0, "name")) == Position("wf.yaml", 5, 13)
    assert doc.source.key(("spec", "templates", 0, "name")) == Position("wf.yaml", 5, 7)
    assert doc.at(("spec", "templates", 0, "container", "args", 1)) == Position("wf.yaml", 6, 46)
    assert doc.data["spec"]["templates"][0]["container"]["args"] == ["x", 5]


def test_an_unknown_path_falls_back_to_its_nearest_parent() -> None:
    (doc,), _ = load_text(TEXT, "wf.yaml")
    assert doc.at(("spec", "templates", 0, "nope", 3)) == Position("wf.yaml", 5, 7)


def test_every_document_of_a_file_is_loaded_with_its_index() -> None:
    docs, problems = load_text("a: 1\n---\n---\nb: 2\n", "m.yaml")
    assert problems == []
    assert [(d.index, d.data) for d in docs] == [(0, {"a": 1}), (1, {"b": 2})]
    assert docs[1].at(("b",)) == Position("m.yaml", 4, 4)


def test_keys_stay_text_as_written() -> None:
    (doc,), _ = load_text("on: 1\n2: x\nyes: null\n")
    assert doc.data == {"on": 1, "2": "x", "yes": None}


def test_timestamps_stay_text_and_merge_keys_merge() -> None:
    (doc,), problems = load_text(
        "base: &b {image: alpine, env: 1}\nc:\n  <<: *b\n  env: 2\nwhen: 2024-01-01\n"
    )
    assert problems == []
    assert doc.data["c"] == {"image": "alpine", "env": 2}
    assert doc.data["when"] == "2024-01-01"


def test_an_alias_bomb_is_refused_with_its_position() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        refs = ",".join([f"*{chr(96 + i)}"] * 9)
        lines.append(f"{chr(97 + i)}: &{chr(97 + i)} [{refs}]")
    docs, (problem,) = load_text("\n".join(lines) + "\n", "bomb.yaml")
    assert docs == []
    assert "too many values" in problem.message
    assert problem.position.file == "bomb.yaml"


def test_a_recursive_alias_is_refused() -> None:
    docs, (problem,) = load_text("a: &x\n  - *x\n", "r.yaml")
    assert docs == []
    assert "contains it" in problem.message


def test_deep_nesting_is_refused() -> None:
    text = "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5)
    docs, (problem,) = load_text(text, "deep.yaml")
    assert docs == []
    assert "deeper" in problem.message or "too deeply" in problem.message


def test_python_tags_are_refused_not_constructed() -> None:
    docs, (problem,) = load_text("a: !!python/object/apply:os.system ['true']\n", "t.yaml")
    assert docs == []
    assert "not supported" in problem.message
    assert str(problem.position) == "t.yaml:1:4"


def test_duplicate_keys_are_reported_and_the_last_one_kept() -> None:
    (doc,), (problem,) = load_text("kind: Workflow\nname: a\nname: b\n", "d.yaml")
    assert doc.data["name"] == "b"
    assert str(problem) == ("d.yaml:3:1: name: the key 'name' appears twice in one mapping; "
                            "keep one of them")


def test_a_syntax_error_names_its_line() -> None:
    docs, (problem,) = load_text("a: [1, 2\nb: 3\n", "s.yaml")
    assert docs == []
    assert problem.position.file == "s.yaml" and problem.position.line >= 2
    assert problem.message.startswith("invalid YAML")


def test_a_missing_file_is_one_problem(tmp_path: Path) -> None:
    docs, (problem,) = load_file(tmp_path / "nope.yaml")
    assert docs == []
    assert "cannot read" in problem.message


def test_a_file_that_is_not_utf8_is_one_problem(tmp_path: Path) -> None:
    path = tmp_path / "bin.yaml"
    path.write_bytes(b"a: \xff\xfe\n")
    _, (problem,) = load_file(path)
    assert "UTF-8" in problem.message
