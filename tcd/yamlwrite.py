"""How the inventory's YAML is written: with ruamel.yaml, the library of the survey import's
round trip, whether a whole site file is merged (tcd/survey/merge.py) or a value is put in a
template (the `yaml` filter of tcd.render, which seeds the inventory).

A string YAML 1.1 would take for something else ('yes', 'on', '12:30', 'y') is quoted too. The
inventory is read as YAML 1.2, where those are strings, and ruamel's dumper quotes what 1.2
would read otherwise ('1e3', '08', 'null'); but a site file should say the same to whoever
reads it as YAML 1.1 (a PyYAML script, an editor's linter, a person who learnt YAML 1.1): every
committed file does (tests/test_yamlfile.py).
"""

import io
import sys
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

_STR_TAG = "tag:yaml.org,2002:str"
_YAML_1_1 = VersionedResolver(version=(1, 1))


def quoted(value: Any) -> Any:
    """Plain data as ruamel nodes, the strings YAML 1.1 would misread double-quoted."""
    if isinstance(value, dict):
        node = CommentedMap()
        for key, item in value.items():
            node[key] = quoted(item)
        return node
    if isinstance(value, list):
        return CommentedSeq(quoted(item) for item in value)
    if isinstance(value, str) and _YAML_1_1.resolve(ScalarNode, value, (True, False)) != _STR_TAG:
        return DoubleQuotedScalarString(value)
    return value


def scalar(value: Any) -> str:
    """`value` as it is written after a key in a template, on one line."""
    out = io.StringIO()
    _SCALAR.dump(quoted(value), out)
    # a lone plain scalar is written as a document ended by "..."
    return out.getvalue().removesuffix("\n").removesuffix("\n...")


_SCALAR = YAML(typ="rt")
_SCALAR.width = sys.maxsize  # one line, however long the name
