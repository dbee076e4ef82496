"""`tcd survey import`: read every workbook, check everything, then write the site files.

Nothing is written unless every workbook is clean: all are read and merged in memory first,
each merged file is checked by the inventory loader's own parser and Site model, and only then
are the files replaced (each atomically). A second import of the same workbook changes nothing.

A site file may carry *planned* values where the survey writes (the pilot's uplink, set before
anyone surveyed the unit): the survey replaces them only when asked (`--replace-planned`), and
the change is shown either way.
"""

import datetime as dt
import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tcd.loading import Inventory, Problem
from tcd.loading.problems import display_path
from tcd.loading.validate import validate
from tcd.loading.yamlfile import parse_yaml
from tcd.model.site import Site, Uplink
from tcd.model.survey import NOT_SURVEYED
from tcd.render import write_atomically
from tcd.survey.layout import IDENTITY, NETWORK
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
    # planned values the survey replaces: (field under uplink, planned, surveyed)
    replaced_planned: list[tuple[str, Any, Any]] = field(default_factory=list)

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


@dataclass
class ImportPlan:
    changes: list[SiteChange]  # empty when there is any problem
    problems: list[CellProblem | Problem]  # errors: nothing may be written
    warnings: list[CellProblem]  # told, but the workbooks are imported


def plan_import(
    workbooks: Sequence[Path], inventory: Inventory, today: dt.date, replace_planned: bool = False
) -> ImportPlan:
    """The change each workbook makes to its unit's site file, or every problem found."""
    entries: list[SurveyEntry] = []
    problems: list[CellProblem | Problem] = []
    warnings: list[CellProblem] = []
    for path in workbooks:
        entry, found = read_workbook(path, inventory, today)
        problems.extend(p for p in found if not p.warning)
        warnings.extend(p for p in found if p.warning)
        if entry is not None:
            entries.append(entry)
    problems.extend(_same_unit_twice(entries))
    changes: list[SiteChange] = []
    for entry in entries:
        source = inventory.site_source(entry.code)
        site = inventory.sites[entry.code]
        replaced = planned_replaced(site, entry)
        if replaced and not replace_planned:
            problems.append(_planned_problem(entry, source.path, replaced))
        new = merged_text(source.text, entry)
        # what is written is read back exactly as `tcd inventory check` will read it
        parsed, found = parse_yaml(source.path, new)
        if parsed is not None:
            found = validate(parsed, Site)[1]
        problems.extend(found)
        changes.append(
            SiteChange(entry.code, site.name, entry.path, source.path, source.text, new, replaced)
        )
    return ImportPlan([] if problems else changes, problems, warnings)


def planned_replaced(site: Site, entry: SurveyEntry) -> list[tuple[str, Any, Any]]:
    """The uplink values a site file holds before any survey (so planned, not found) that the
    survey changes: (field, planned, surveyed)."""
    if site.survey != NOT_SURVEYED or site.uplink is None:
        return []
    old = site.uplink.model_dump(mode="json", exclude_none=True)
    new = Uplink.model_validate(entry.uplink).model_dump(mode="json", exclude_none=True)
    return [
        (key, old.get(key), new.get(key))
        for key in Uplink.model_fields
        if old.get(key) != new.get(key)
    ]


def describe_replaced(replaced: Iterable[tuple[str, Any, Any]]) -> str:
    """'uplink.bandwidth_mbps 200 → 100; uplink.provider VNPT Đồng Nai → —'."""
    shown = (f"uplink.{key} {_value(old)} → {_value(new)}" for key, old, new in replaced)
    return "; ".join(shown)


def _value(value: Any) -> str:
    return "—" if value is None else str(value)


def _planned_problem(
    entry: SurveyEntry, site_path: Path, replaced: list[tuple[str, Any, Any]]
) -> CellProblem:
    shown = display_path(site_path)
    change = describe_replaced(replaced)
    return CellProblem(
        entry.path,
        NETWORK.title,
        NETWORK.cell("uplink", "kind"),
        f"{shown} ghi đường truyền dự kiến (đơn vị chưa được khảo sát), phiếu này thay đổi:"
        f" {change}; kiểm tra lại rồi nhập với --replace-planned để thay",
        f"{shown} holds a planned uplink (the unit was never surveyed) that this survey changes:"
        f" {change}; check, then import with --replace-planned to replace it",
    )


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
