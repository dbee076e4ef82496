"""Filled survey workbooks for tests, built the way a unit gets and fills one: the template of
the unit's site, typed into by `fill`, then whatever a rushed clerk did to it (`edit`)."""

import copy
import re
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from openpyxl.workbook.workbook import Workbook

from tcd.loading import load_inventory
from tcd.survey.fill import fill
from tcd.survey.template import survey_template

from .test_survey_template import FILLED


def answers(changes: Mapping[str, Any] | None = None, base: Mapping[str, Any] = FILLED) -> dict:
    """FILLED with `changes` by dotted path ("survey.room.area_m2": "1.500"); a value of
    None removes the answer (the cell stays empty)."""
    result = copy.deepcopy(dict(base))
    for dotted, value in (changes or {}).items():
        *parents, last = dotted.split(".")
        node: Any = result
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if value is None:
            node.pop(last, None)
        else:
            node[last] = value
    return result


def build(
    path: Path,
    inventory: Path,
    code: int = 25222,
    typed: Mapping[str, Any] | None = None,
    edit: Callable[[Workbook], None] | None = None,
) -> Path:
    """The template of unit `code`, filled with `typed` (FILLED by default), then edited."""
    workbook = survey_template(load_inventory(inventory).sites[code])
    fill(workbook, typed if typed is not None else FILLED)
    if edit is not None:
        edit(workbook)
    workbook.save(path)
    return path


def computed(path: Path, formula: str, value: str) -> None:
    """Give the formula `formula` the value Excel would have saved with it: openpyxl writes a
    formula without one, as if the file had never been opened in Excel."""
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    empty = re.compile(rf"<f>{re.escape(formula)}</f><v\s*/?>(</v>)?".encode())
    found = 0
    for name, data in parts.items():
        if name.startswith("xl/worksheets/"):
            parts[name], count = empty.subn(f"<f>{formula}</f><v>{value}</v>".encode(), data)
            found += count
    assert found == 1, f"formula {formula!r} found {found} times"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
