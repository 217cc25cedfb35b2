"""Safe YAML loading that remembers where every key and value came from, so each problem can
name `file:line:col`. Multi-document files; aliases are expanded under a budget (no billion
laughs), recursion and nesting are bounded, and anything but plain YAML data is refused."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]  # PyYAML ships no stubs; none are installed

from .problems import KeyPath, ManifestProblem, Position, format_path

MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 64
# Values built per document: enough for any real manifest, far too few for alias bombs.
MIN_VALUE_BUDGET = 200_000

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """The safe loader (libyaml's when present) with plain scalars' tags memoized: manifests
    repeat the same keys and values thousands of times, and tag resolution is pure Python."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._tags: dict[tuple[str, bool], str] = {}

    def resolve(self, kind: type, value: Any, implicit: Any) -> Any:
        if kind is not yaml.ScalarNode or not isinstance(value, str) or len(value) > 64:
            return super().resolve(kind, value, implicit)
        key = (value, bool(implicit[0]))
        tag = self._tags.get(key)
        if tag is None:
            tag = self._tags[key] = super().resolve(kind, value, implicit)
        return tag
_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"
_TEXT_TAGS = {_STR, "tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:binary"}
_constructor = yaml.constructor.SafeConstructor()


class SourceMap:
    """Positions of the keys and values of one document, looked up by key path. Nodes are
    kept and turned into positions only when a problem asks, which keeps loading cheap."""

    def __init__(self, file: str) -> None:
        self.file = file
        self._nodes: dict[KeyPath, tuple[yaml.Node, yaml.Node | None]] = {}

    def record(self, path: KeyPath, node: yaml.Node, key: yaml.Node | None = None) -> None:
        self._nodes.setdefault(path, (node, key))

    def _nearest(self, path: KeyPath) -> tuple[yaml.Node, yaml.Node | None] | None:
        probe = tuple(path)
        while probe and probe not in self._nodes:
            probe = probe[:-1]
        return self._nodes.get(probe)

    def _at(self, node: yaml.Node | None) -> Position:
        if node is None:
            return Position(self.file, 1, 1)
        mark = node.start_mark
        return Position(self.file, mark.line + 1, mark.column + 1)

    def value(self, path: KeyPath) -> Position:
        """Where the value at `path` starts (or its nearest recorded parent)."""
        found = self._nearest(path)
        return self._at(found[0] if found else None)

    def inside(self, path: KeyPath, offset: int) -> Position:
        """Where character `offset` of the string at `path` is, when it is written on one
        line; otherwise where the string starts."""
        found = self._nodes.get(tuple(path))
        if found is None:
            return self.value(path)
        node = found[0]
        start = self._at(node)
        if not isinstance(node, yaml.ScalarNode) or node.style not in (None, "'", '"') or \
                node.end_mark.line != node.start_mark.line:
            return start
        # a quoted string's text starts one column after its quote
        return Position(self.file, start.line, start.column + (1 if node.style else 0) + offset)

    def key(self, path: KeyPath) -> Position:
        """Where the key of `path` is written (the value's position for list items)."""
        found = self._nodes.get(tuple(path))
        if found is not None and found[1] is not None:
            return self._at(found[1])
        return self.value(path)


@dataclass(frozen=True)
class Document:
    """One YAML document: plain data (dicts, lists, str, int, float, bool, None) and positions."""

    file: str
    index: int
    data: Any
    source: SourceMap = field(repr=False, compare=False)

    def at(self, path: KeyPath) -> Position:
        return self.source.value(path)


class _LoadFailure(Exception):
    def __init__(self, node: yaml.Node, path: KeyPath, message: str, fix: str) -> None:
        super().__init__(message)
        self.node, self.path, self.message, self.fix = node, path, message, fix


class _Builder:
    def __init__(self, source: SourceMap, budget: int) -> None:
        self.source = source
        self.budget = budget
        self.active: set[int] = set()
        self.duplicates: list[tuple[yaml.Node, KeyPath, str]] = []

    def build(self, node: yaml.Node, path: KeyPath, depth: int = 0) -> Any:
        self.budget -= 1
        if self.budget < 0:
            raise _LoadFailure(node, path, "the document expands to too many values "
                               "(anchors and aliases used as a bomb?)",
                               "write the values out or reuse fewer aliases")
        if depth > MAX_DEPTH:
            raise _LoadFailure(node, path, f"the document nests deeper than {MAX_DEPTH} levels",
                               "flatten the data")
        if isinstance(node, yaml.ScalarNode):
            if node.tag == _STR:  # the common case first
                return node.value
            return self._scalar(node, path)
        if id(node) in self.active:
            raise _LoadFailure(node, path, "an alias refers to a node that contains it",
                               "remove the recursive alias")
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                if node.tag != _SEQ:
                    raise self._bad_tag(node, path)
                items = []
                record = self.source.record
                for index, item in enumerate(node.value):
                    child = (*path, index)
                    record(child, item)
                    items.append(self.build(item, child, depth + 1))
                return items
            if node.tag != _MAP:
                raise self._bad_tag(node, path)
            return self._mapping(node, path, depth)
        finally:
            self.active.discard(id(node))

    def _mapping(self, node: yaml.MappingNode, path: KeyPath, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        merged: list[tuple[str, Any]] = []
        record = self.source.record
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merged.extend(self._merge(value_node, path, depth))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise _LoadFailure(key_node, path, "a mapping key is itself a list or mapping",
                                   "use a plain string as the key")
            # Keys stay as written: Argo reads YAML as JSON, so `on:` is "on", not True.
            key = str(key_node.value)
            child = (*path, key)
            if key in result:
                self.duplicates.append((key_node, child, key))
            record(child, value_node, key_node)
            result[key] = self.build(value_node, child, depth + 1)
        for key, value in merged:
            result.setdefault(key, value)
        return result

    def _merge(self, node: yaml.Node, path: KeyPath, depth: int) -> Iterator[tuple[str, Any]]:
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        for source in sources:
            value = self.build(source, path, depth + 1)
            if not isinstance(value, dict):
                raise _LoadFailure(source, path, "a '<<' merge key needs a mapping",
                                   "merge an anchored mapping, e.g. '<<: *defaults'")
            yield from value.items()

    def _scalar(self, node: yaml.ScalarNode, path: KeyPath) -> Any:
        tag = node.tag
        if tag in _TEXT_TAGS:
            return node.value
        if tag == "tag:yaml.org,2002:null":
            return None
        if tag == "tag:yaml.org,2002:bool":
            return _constructor.construct_yaml_bool(node)
        if tag == "tag:yaml.org,2002:int":
            return _constructor.construct_yaml_int(node)
        if tag == "tag:yaml.org,2002:float":
            return _constructor.construct_yaml_float(node)
        raise self._bad_tag(node, path)

    @staticmethod
    def _bad_tag(node: yaml.Node, path: KeyPath) -> _LoadFailure:
        return _LoadFailure(node, path, f"the YAML tag '{node.tag}' is not supported",
                            "remove the tag and write plain YAML data")


def _problem(file: str, line: int, column: int, path: KeyPath, message: str,
             fix: str) -> ManifestProblem:
    return ManifestProblem(Position(file, line, column), format_path(path), message, fix, "yaml")


def load_text(text: str, file: str = "<text>") -> tuple[list[Document], list[ManifestProblem]]:
    """Parse every document of `text`; problems say where parsing or building failed.

    >>> docs, problems = load_text("a: 1\\n---\\nb: [x]\\n", "f.yaml")
    >>> [d.data for d in docs], docs[1].at(("b", 0))
    ([{'a': 1}, {'b': ['x']}], Position(file='f.yaml', line=3, column=5))
    """
    if len(text) > MAX_FILE_BYTES:
        return [], [_problem(file, 1, 1, (), f"the file is over {MAX_FILE_BYTES >> 20} MiB",
                             "split it into smaller files")]
    documents: list[Document] = []
    problems: list[ManifestProblem] = []
    budget = max(MIN_VALUE_BUDGET, 2 * len(text))
    index = 0
    try:
        for root in yaml.compose_all(text, Loader=_Loader):
            # An empty document (`---` alone) composes to a null scalar: nothing to check.
            if root is None or (isinstance(root, yaml.ScalarNode) and root.tag.endswith(":null")
                                and not root.value):
                continue
            source = SourceMap(file)
            builder = _Builder(source, budget)
            source.record((), root)
            try:
                data = builder.build(root, ())
            except _LoadFailure as failure:
                mark = failure.node.start_mark
                problems.append(_problem(file, mark.line + 1, mark.column + 1, failure.path,
                                         failure.message, failure.fix))
                index += 1
                continue
            for key_node, path, key in builder.duplicates:
                mark = key_node.start_mark
                problems.append(_problem(file, mark.line + 1, mark.column + 1, path,
                                         f"the key '{key}' appears twice in one mapping",
                                         "keep one of them"))
            documents.append(Document(file, index, data, source))
            index += 1
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problems.append(_problem(file, line, column, (), f"invalid YAML: {error.problem}",
                                 "fix the YAML syntax at this place"))
    except yaml.YAMLError as error:
        problems.append(_problem(file, 1, 1, (), f"invalid YAML: {error}", "fix the YAML syntax"))
    except RecursionError:
        problems.append(_problem(file, 1, 1, (), "the YAML nests too deeply to parse",
                                 "flatten the data"))
    return documents, problems


def load_file(path: str | Path) -> tuple[list[Document], list[ManifestProblem]]:
    """`load_text` on a file; an unreadable or non-UTF-8 file is one problem."""
    file = Path(path)
    name = str(path)
    try:
        size = file.stat().st_size
        if size > MAX_FILE_BYTES:
            return [], [_problem(name, 1, 1, (), f"the file is over {MAX_FILE_BYTES >> 20} MiB",
                                 "split it into smaller files")]
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return [], [_problem(name, 1, 1, (), "the file is not UTF-8 text",
                             "save it as UTF-8")]
    except OSError as error:
        return [], [_problem(name, 1, 1, (), f"cannot read the file ({error.strerror})",
                             "check the path and its permissions")]
    return load_text(text, name)
