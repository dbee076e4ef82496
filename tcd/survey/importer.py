"""`tcd survey import`: read every workbook, check everything, then write the site files.

Nothing is written unless every workbook is clean: all are read and merged in memory first,
each merged file is checked by the inventory loader's own parser and Site model, and only then
are the files replaced (each atomically). A second import of the same workbook changes nothing.
"""

import datetime as dt
import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tcd.loading import Inventory, Problem
from tcd.loading.problems import display_path
from tcd.loading.validate import validate
from tcd.loading.yamlfile import parse_yaml
from tcd.model.site import Site
from tcd.render import write_atomically
from tcd.survey.layout import IDENTITY
from tcd.survey.merge import merged_text
from tcd.survey.reader import CellProblem, SurveyEntry, read_workbook


@dataclass(frozen=True)
class SiteChange:
    code: int
    name: str
    workbook: Path
    path: Path  # the site file
    old: str
    new: str

    @property
    def changed(self) -> bool:
        return self.old != self.new

    def diff(self) -> str:
        shown = display_path(self.path)
        return "".join(
            difflib.unified_diff(
                self.old.splitlines(keepends=True),
                self.new.splitlines(keepends=True),
                fromfile=shown,
                tofile=shown,
            )
        )


def plan_import(
    workbooks: Sequence[Path], inventory: Inventory, today: dt.date
) -> tuple[list[SiteChange], list[CellProblem | Problem]]:
    """The change each workbook makes to its unit's site file, or every problem found."""
    entries: list[SurveyEntry] = []
    problems: list[CellProblem | Problem] = []
    for path in workbooks:
        entry, found = read_workbook(path, inventory, today)
        problems.extend(found)
        if entry is not None:
            entries.append(entry)
    problems.extend(_same_unit_twice(entries))
    changes: list[SiteChange] = []
    for entry in entries:
        source = inventory.site_source(entry.code)
        new = merged_text(source.text, entry)
        # what is written is read back exactly as `tcd inventory check` will read it
        parsed, found = parse_yaml(source.path, new)
        if parsed is not None:
            found = validate(parsed, Site)[1]
        problems.extend(found)
        site = inventory.sites[entry.code]
        changes.append(SiteChange(entry.code, site.name, entry.path, source.path, source.text, new))
    return ([] if problems else changes), problems


def _same_unit_twice(entries: Iterable[SurveyEntry]) -> list[CellProblem]:
    first: dict[int, Path] = {}
    problems = []
    for entry in entries:
        if entry.code in first:
            other = display_path(first[entry.code])
            problems.append(
                CellProblem(
                    entry.path,
                    IDENTITY.title,
                    IDENTITY.cell("code"),
                    f"đơn vị {entry.code} đã có phiếu khác trong lần nhập này ({other})",
                    f"unit {entry.code} also has the workbook {other} in this import",
                )
            )
        first.setdefault(entry.code, entry.path)
    return problems


def apply(changes: Iterable[SiteChange]) -> list[SiteChange]:
    """Write the files that change; the list of those written."""
    written = []
    for change in changes:
        if change.changed:
            write_atomically(change.path, change.new)
            written.append(change)
    return written
