"""Strict YAML reading and mapping a field path back to its line.

The inventory is YAML 1.2, as ruamel.yaml writes it when a survey is imported: yaml-rs (Rust)
reads it, about ten times faster than PyYAML, whose YAML 1.1 would also read back a surveyed
"yes" or "12:30" that ruamel writes unquoted as true and 750. PyYAML is kept for what yaml-rs
does not give: the line of a problem (the file is composed again into nodes, which carry their
marks, only when there is a problem to report) and the wording of a syntax error.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml
import yaml_rs

from tcd.loading.problems import Problem

Loc = Sequence[str | int]


class DuplicateKeyError(yaml.MarkedYAMLError):
    pass


class StrictLoader(yaml.CSafeLoader):
    """Safe loader that refuses a key given twice in one mapping (PyYAML keeps the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[str] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                if key_node.value in seen:
                    raise DuplicateKeyError(
                        problem=f"key {key_node.value!r} appears twice in this mapping",
                        problem_mark=key_node.start_mark,
                    )
                seen.add(key_node.value)
        return super().construct_mapping(node, deep)


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
        # a byte-order mark (Windows editors) is not data; yaml-rs would keep it in the 1st key
        source.data = yaml_rs.loads(text.removeprefix("\ufeff"))
    except yaml_rs.YAMLDecodeError as exc:
        return None, _syntax_problem(path, text, exc)
    if source.data is None:
        return None, [Problem(path, 1, "", "the file is empty")]
    if not isinstance(source.data, dict):
        # several documents come back as a list too: PyYAML tells them apart
        return None, _syntax_problem(path, text, None)
    return source, []


def _syntax_problem(path: Path, text: str, exc: yaml_rs.YAMLDecodeError | None) -> list[Problem]:
    """The problem with a file yaml-rs refused (or did not read as one mapping), in PyYAML's
    words, which name the line and what was expected there."""
    try:
        data = yaml.load(text, Loader=StrictLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        reason = f"invalid YAML: {error.problem}"
        if error.context and error.context_mark and error.context_mark.line + 1 != line:
            # libyaml notices an unclosed bracket lines later: point at where it was opened too
            reason += f" ({error.context} started on line {error.context_mark.line + 1})"
        return [Problem(path, line, "", reason)]
    except yaml.YAMLError as error:
        return [Problem(path, 1, "", f"invalid YAML: {error}")]
    if exc is not None:  # YAML 1.1 accepts what 1.2 does not: yaml-rs's message names the line
        return [Problem(path, 1, "", f"invalid YAML 1.2: {' '.join(str(exc).split())}")]
    kind = type(data).__name__
    return [Problem(path, 1, "", f"expected a mapping of keys at the top, got a {kind}")]
