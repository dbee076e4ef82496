"""Strict YAML reading and mapping a field path back to its line.

The inventory is YAML 1.2. Three libraries share it, each where it alone is fast enough
(bench/yaml_readers.py; figures and the decision: docs/benchmarks.md, "YAML readers"):

- yaml-rs (Rust) reads every file, on every command: 0.06 ms a surveyed site file. ruamel.yaml's
  round-trip loader, which would give lines as well, takes 12 ms: loading 3,321 surveyed units
  would take 48 s instead of 1.1 s, and 95 units 0.73 s instead of 0.03 s.
- ruamel.yaml writes the inventory (tcd/yamlwrite.py): a survey import merges into a site file
  with its round trip, which alone keeps the hand-written comments and order.
- PyYAML (libyaml, C) only when there is a problem to report: the file is composed again into
  nodes, which carry their lines, and a syntax error is worded in libyaml's terms. ruamel's
  composer is pure Python, 18 times slower (7.8 ms a surveyed file against 0.43 ms): 26 s
  instead of 1.4 s when a change of the models puts a problem in each of 3,321 files.

A file PyYAML accepts but yaml-rs refuses (YAML 1.1 but not 1.2, or what libyaml lets pass) is
reported at the line and column yaml-rs names, in its words.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml
import yaml_rs

from tcd.loading.problems import Problem

Loc = Sequence[str | int]

# yaml-rs's parse errors: "YAML parse error at line 3, column 1", the line quoted with a caret
# under the column, then the reason on the last line
_DUPLICATE = "duplicate mapping key: "  # yaml-rs's words, then the key as it read it
_PARSE_ERROR = re.compile(r"YAML parse error at line (\d+), column (\d+)\n")
# its errors of an explicit tag, which name no place: "Invalid tag: '!!timestamp'",
# "Invalid value 'yes' for '!!bool' tag"
_TAG_ERROR = re.compile(
    r"Invalid (?:tag: '(?P<tag>[^']+)'|value '(?P<value>[^']*)' for '(?P<of>[^']+)' tag)"
)


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
        # a byte-order mark (Windows editors) is not data; yaml-rs would keep it in the 1st key.
        # Dates stay text for the models to read: yaml-rs (0.1.6) also turns a *quoted*
        # "2025-01-01" into a date, and a name or a note must stay what was typed
        source.data = yaml_rs.loads(text.removeprefix("\ufeff"), parse_datetime=False)
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
    words, which name the line and what was expected there; in yaml-rs's words and at its
    place if PyYAML finds nothing wrong."""
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
    if exc is not None:
        return [_refused_by_yaml_1_2(path, text, exc)]
    kind = type(data).__name__
    return [Problem(path, 1, "", f"expected a mapping of keys at the top, got a {kind}")]


def _refused_by_yaml_1_2(path: Path, text: str, exc: yaml_rs.YAMLDecodeError) -> Problem:
    """A file PyYAML reads but yaml-rs refuses, at the line and column yaml-rs gives (its own
    words: libyaml's have nothing to say), where the tag it names is used, or where a key
    equal in value to an earlier one of its mapping is given again."""
    message = str(exc)
    if message.startswith(_DUPLICATE) and (mark := _duplicate_mark(text)):
        key = message.removeprefix(_DUPLICATE)
        return Problem(
            path,
            mark.line + 1,
            "",
            f"invalid YAML 1.2 at column {mark.column + 1}: key {key} appears twice in this "
            "mapping (written differently, the same value in YAML 1.2)",
        )
    if found := _PARSE_ERROR.match(message):
        line, column = int(found[1]), int(found[2])
        reason = message.rsplit("\n", 1)[-1]
    elif (found := _TAG_ERROR.fullmatch(message)) and (
        mark := _tag_mark(text, found["tag"] or found["of"], found["value"])
    ):
        line, column = mark.line + 1, mark.column + 1
        reason = message[0].lower() + message[1:]
    else:
        return Problem(path, 1, "", f"invalid YAML 1.2: {' '.join(message.split())}")
    return Problem(path, line, "", f"invalid YAML 1.2 at column {column}: {reason}")


def _duplicate_mark(text: str) -> yaml.Mark | None:
    """Where a mapping's key repeats an earlier key of it by value as YAML 1.2 reads them
    (`1` and `0x1`, `true` and `True`): PyYAML compares their text, and yaml-rs names no
    place."""
    nodes = [yaml.compose(text, Loader=yaml.CSafeLoader)]
    while nodes:
        node = nodes.pop()
        if isinstance(node, yaml.MappingNode):
            seen: list[Any] = []
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    source = text[key.start_mark.index : key.end_mark.index]
                    try:
                        read = yaml_rs.loads(f"k: {source}", parse_datetime=False)["k"]
                    except yaml_rs.YAMLDecodeError:
                        continue  # a key that reads only in its place (a block scalar)
                    if any(read == earlier and type(read) is type(earlier) for earlier in seen):
                        return key.start_mark
                    seen.append(read)
                nodes.append(value)
        elif isinstance(node, yaml.SequenceNode):
            nodes.extend(node.value)
    return None


def _tag_mark(text: str, tag: str, value: str | None) -> yaml.Mark | None:
    """Where the first node tagged `tag` (with `value`, if given) starts."""
    expanded = "tag:yaml.org,2002:" + tag.removeprefix("!!") if tag.startswith("!!") else tag
    for event in yaml.parse(text, Loader=yaml.CSafeLoader):
        if getattr(event, "tag", None) == expanded and value in (None, getattr(event, "value", 0)):
            return event.start_mark
    return None
