"""Writing a unit's survey into its site file with ruamel's round-trip YAML: every comment,
key order and blank line of the hand-edited file stays; only `survey:` and `uplink:` change.

The comment that followed the old value (the next section's heading) is moved to follow the new
one, and the two comments the seeding wrote for an unsurveyed unit are brought up to date.
"""

import io
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark
from ruamel.yaml.tokens import CommentToken

from tcd.survey.reader import SurveyEntry
from tcd.yamlwrite import quoted

# Comments scripts/seed_inventory.py wrote (templates/inventory/site.yml.j2) that a survey
# makes untrue, and what they say once it is imported.
SEEDED_COMMENTS = {
    "# What the unit has today. Nobody has surveyed it yet: the readiness review\n"
    "# (`tcd survey import`) fills this in; nothing here is guessed.\n": (
        "# What the unit has today, from its survey workbook (`tcd survey import`); to correct\n"
        "# it, import a corrected workbook.\n"
    ),
    "# The uplink is unknown until the survey. One reception PC is the standard design for a\n"
    "# unit (DESIGN.md); its management address comes from the address plan.\n": (
        "# The uplink is the one the survey found. One reception PC is the standard design for a\n"
        "# unit (DESIGN.md); its management address comes from the address plan.\n"
    ),
    "# The uplink is the TSLCD link the letter reports for most units by mid-2025; the survey\n"
    "# confirms it.\n": "# The uplink is the one the survey found.\n",
}


def _yaml() -> YAML:
    # the site files' style: 2-space mappings, sequences indented under their key
    rt = YAML(typ="rt")
    rt.indent(mapping=2, sequence=4, offset=2)
    rt.width = 100
    rt.preserve_quotes = True
    return rt


def merged_text(text: str, entry: SurveyEntry) -> str:
    """The site file `text` with the survey and uplink of `entry` in place."""
    data = _yaml().load(text)
    _replace_block(data, "survey", quoted(entry.survey))
    uplink = quoted(entry.uplink)
    if "uplink" in data:
        _replace_block(data, "uplink", uplink)
    else:
        data.insert(list(data).index("survey") + 1, "uplink", uplink)
        _attach_after(data, "uplink", CommentToken("\n\n", CommentMark(0), None))
    _refresh_seeded_comments(data)
    out = io.StringIO()
    _yaml().dump(data, out)
    return out.getvalue()


def _last_place(parent: Any, key: Any) -> tuple[Any, Any]:
    """The innermost last (container, key) under parent[key]: where a comment following the
    whole value is kept."""
    value = parent[key]
    while isinstance(value, CommentedMap | CommentedSeq) and len(value) > 0:
        parent, key = (
            value,
            (list(value)[-1] if isinstance(value, CommentedMap) else len(value) - 1),
        )
        value = parent[key]
    return parent, key


def _slot(container: Any) -> int:
    return 2 if isinstance(container, CommentedMap) else 0


def _detach_after(parent: Any, key: Any) -> CommentToken | None:
    container, last = _last_place(parent, key)
    items = container.ca.items.get(last)
    if not items:
        return None
    token = items[_slot(container)]
    items[_slot(container)] = None
    return token


def _attach_after(parent: Any, key: Any, token: CommentToken) -> None:
    container, last = _last_place(parent, key)
    width = 4 if isinstance(container, CommentedMap) else 2
    items = container.ca.items.setdefault(last, [None] * width)
    items[_slot(container)] = token


def _replace_block(parent: CommentedMap, key: str, value: Any) -> None:
    token = _detach_after(parent, key)
    parent[key] = value
    if token is not None:
        _attach_after(parent, key, token)


def _refresh_seeded_comments(node: Any) -> None:
    if not isinstance(node, CommentedMap | CommentedSeq):
        return
    for items in node.ca.items.values():
        for token in items:
            if isinstance(token, CommentToken):
                for old, new in SEEDED_COMMENTS.items():
                    token.value = token.value.replace(old, new)
    for child in node.values() if isinstance(node, CommentedMap) else node:
        _refresh_seeded_comments(child)
