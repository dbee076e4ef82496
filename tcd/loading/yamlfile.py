"""Strict YAML reading (libyaml for speed) and mapping a field path back to its line.

Locating is only done when there is a problem to report: the file is composed again into
nodes, which carry their line marks, so the fast path keeps plain dicts and lists.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

import yaml

from tcd.loading.problems import Problem

Loc = Sequence[str | int]


class DuplicateKeyError(yaml.MarkedYAMLError):
    pass


# tags PyYAML's safe constructors build from a scalar, without state or cycles
PLAIN_SCALARS = frozenset(
    f"tag:yaml.org,2002:{kind}" for kind in ("null", "bool", "int", "float", "timestamp")
)
STR_TAG = "tag:yaml.org,2002:str"
SEQ_TAG = "tag:yaml.org,2002:seq"
MAP_TAG = "tag:yaml.org,2002:map"
SCALAR_TAGS_KEPT = 200_000  # ~30 MiB at most; 3,321 surveyed site files have ~10,000


class _UnusualNodeError(Exception):
    """A node the direct construction leaves to PyYAML (merge keys, complex keys, other tags)."""


class StrictLoader(yaml.CSafeLoader):
    """Safe loader that refuses a key given twice in one mapping (PyYAML keeps the last).

    Documents are built by a direct walk of the nodes: PyYAML's generic construction (a
    generator per collection, bookkeeping per node) was most of the time of loading thousands of
    site files. Whatever the walk does not handle is built by PyYAML as before.
    """

    # a scalar's implicit tag depends on its text alone (the safe resolver has no path
    # resolvers), and the same keys and values recur in every site file
    _scalar_tags: ClassVar[dict[tuple[str, tuple[bool, bool]], str]] = {}

    def resolve(self, kind: type[yaml.Node], value: Any, implicit: Any) -> str:
        if kind is not yaml.ScalarNode or self.yaml_path_resolvers:
            return super().resolve(kind, value, implicit)
        key = (value, implicit)
        tag = self._scalar_tags.get(key)
        if tag is None:
            if len(self._scalar_tags) >= SCALAR_TAGS_KEPT:
                self._scalar_tags.clear()
            tag = self._scalar_tags[key] = super().resolve(kind, value, implicit)
        return tag

    def construct_document(self, node: yaml.Node) -> Any:
        try:
            return self._build(node, {})
        except _UnusualNodeError:
            return super().construct_document(node)

    def _build(self, node: yaml.Node, built: dict[int, Any]) -> Any:
        tag = node.tag
        if node.id == "scalar":
            if tag == STR_TAG:
                return node.value
            if tag in PLAIN_SCALARS:
                return self.yaml_constructors[tag](self, node)
            raise _UnusualNodeError
        if id(node) in built:  # an alias: the anchored node again, the same object as PyYAML
            return built[id(node)]
        if tag == SEQ_TAG:
            items: list[Any] = []
            built[id(node)] = items
            items.extend(self._build(child, built) for child in node.value)
            return items
        if tag == MAP_TAG:
            self._refuse_duplicates(node)
            mapping: dict[Any, Any] = {}
            built[id(node)] = mapping
            for key_node, value_node in node.value:
                if key_node.id != "scalar" or key_node.tag not in PLAIN_SCALARS | {STR_TAG}:
                    raise _UnusualNodeError  # "<<" merge keys, complex keys
                mapping[self._build(key_node, built)] = self._build(value_node, built)
            return mapping
        raise _UnusualNodeError

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        self._refuse_duplicates(node)
        return super().construct_mapping(node, deep)

    @staticmethod
    def _refuse_duplicates(node: yaml.MappingNode) -> None:
        seen: set[str] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                if key_node.value in seen:
                    raise DuplicateKeyError(
                        problem=f"key {key_node.value!r} appears twice in this mapping",
                        problem_mark=key_node.start_mark,
                    )
                seen.add(key_node.value)


@dataclass
class SourceFile:
    """One input file: its text, its parsed data, and line lookup for problems."""

    path: Path
    text: str
    data: Any = field(default=None)

    @cached_property
    def _root(self) -> yaml.Node | None:
        return yaml.compose(self.text, Loader=yaml.CSafeLoader)

    def locate(self, loc: Loc, missing_key: bool = False) -> tuple[int, str]:
        """Line (1-based) of the deepest node of `loc` present in the file, and the dotted path.

        A part not in the file is pydantic's name for a union branch and is skipped, unless it
        is the `missing_key`: that one is shown, at the line of the mapping it belongs in.
        """
        node = self._root
        line = node.start_mark.line + 1 if node is not None else 1
        shown: list[str] = []
        for position, part in enumerate(loc, start=1):
            child, key_line = _child(node, part)
            if child is not None:
                node, line = child, key_line
                shown.append(str(part))
            elif missing_key and position == len(loc):
                shown.append(str(part))
        return line, ".".join(shown)

    def problem(self, loc: Loc, reason: str, missing_key: bool = False) -> Problem:
        line, dotted = self.locate(loc, missing_key)
        return Problem(self.path, line, dotted, reason)


def _child(node: yaml.Node | None, part: str | int) -> tuple[yaml.Node | None, int]:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(part):
                return value_node, key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        child = node.value[part]
        return child, child.start_mark.line + 1
    return None, 0


def read_yaml(path: Path) -> tuple[SourceFile | None, list[Problem]]:
    """Read and parse one file; on failure return the problems instead (never raise)."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [
            Problem(path, line, "", f"not UTF-8 (byte 0x{raw[exc.start]:02x}); save it as UTF-8")
        ]
    return parse_yaml(path, text)


def parse_yaml(path: Path, text: str) -> tuple[SourceFile | None, list[Problem]]:
    """Parse `text` as the content of `path` (read, or about to be written); never raise."""
    source = SourceFile(path, text)
    try:
        source.data = yaml.load(text, Loader=StrictLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        reason = f"invalid YAML: {exc.problem}"
        if exc.context and exc.context_mark and exc.context_mark.line + 1 != line:
            # libyaml notices an unclosed bracket lines later: point at where it was opened too
            reason += f" ({exc.context} started on line {exc.context_mark.line + 1})"
        return None, [Problem(path, line, "", reason)]
    except yaml.YAMLError as exc:
        return None, [Problem(path, 1, "", f"invalid YAML: {exc}")]
    if source.data is None:
        return None, [Problem(path, 1, "", "the file is empty")]
    if not isinstance(source.data, dict):
        kind = type(source.data).__name__
        return None, [Problem(path, 1, "", f"expected a mapping of keys at the top, got a {kind}")]
    return source, []
