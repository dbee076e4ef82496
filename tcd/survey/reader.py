"""One filled survey workbook read back: every answer cell checked, normalised and validated by
the same models the inventory loader uses, each problem named as FILE › sheet › cell."""

import datetime as dt
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.workbook.workbook import Workbook
from pydantic import BaseModel, ValidationError

from tcd.loading import Inventory
from tcd.loading.problems import display_path
from tcd.loading.validate import inner_model
from tcd.model.site import Uplink, UplinkKind
from tcd.model.survey import SurveyFindings
from tcd.survey.cells import CellError, is_blank, read_answer
from tcd.survey.layout import (
    FORMS,
    IDENTITY,
    SHEETS,
    TABLES,
    TEMPLATE_VERSION,
    Answer,
    FormSheet,
    TableSheet,
)

Path_ = tuple[str | int, ...]  # a place in the site file: ("survey", "pcs", 0, "ram_gb")

# pydantic's error types, in Vietnamese; its English message is shown beside.
_VI_REASONS = {
    "greater_than": "phải lớn hơn {gt}",
    "greater_than_equal": "không được nhỏ hơn {ge}",
    "less_than": "phải nhỏ hơn {lt}",
    "less_than_equal": "không được lớn hơn {le}",
    "missing": "bắt buộc, chưa điền",
}


@dataclass(frozen=True)
class CellProblem:
    file: Path
    sheet: str
    cell: str
    vi: str
    en: str

    def __str__(self) -> str:
        where = " › ".join(p for p in (display_path(self.file), self.sheet, self.cell) if p)
        return f"{where}: {self.vi} — {self.en}"


@dataclass(frozen=True)
class SurveyEntry:
    """What one workbook says about one unit, as it is written into the unit's site file."""

    path: Path
    code: int
    survey: dict[str, Any]  # under `survey:`, validated by SurveyFindings
    uplink: dict[str, Any]  # under `uplink:`, validated by Uplink


@dataclass
class _Reading:
    path: Path
    today: dt.date
    problems: list[CellProblem] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    where: dict[Path_, tuple[str, str]] = field(default_factory=dict)

    def problem(self, sheet: str, cell: str, vi: str, en: str) -> None:
        self.problems.append(CellProblem(self.path, sheet, cell, vi, en))

    def read(self, workbook: Workbook, sheet: str, cell: str, answer: Answer) -> Any:
        target = workbook[sheet][cell]
        try:
            value = read_answer(target.value, target.data_type, answer, self.today)
        except CellError as exc:
            self.problem(sheet, cell, exc.vi, exc.en)
            return None
        if value is None and answer.required:
            self.problem(sheet, cell, "bắt buộc, chưa điền", "required, left empty")
        return value

    def put(self, place: Path_, value: Any, sheet: str, cell: str) -> None:
        self.where[place] = (sheet, cell)
        if value is None:
            return
        node = self.values
        for part in place[:-1]:
            node = node.setdefault(part, {})  # type: ignore[arg-type]
        node[place[-1]] = value  # type: ignore[index]

    def at(self, place: Path_) -> Any:
        node: Any = self.values
        for part in place:
            if not isinstance(node, dict | list) or (isinstance(node, dict) and part not in node):
                return None
            node = node[part]
        return node

    def cell_of(self, place: Path_) -> tuple[str, str]:
        """The cell a value came from; for a place no cell fills, the nearest enclosing one."""
        while place:
            if place in self.where:
                return self.where[place]
            place = place[:-1]
        return "", ""


def read_workbook(
    path: Path, inventory: Inventory, today: dt.date
) -> tuple[SurveyEntry | None, list[CellProblem]]:
    """The entry for one workbook, or the problems that keep it out (never both)."""
    reading = _Reading(path, today)
    try:
        workbook = load_workbook(path, data_only=False)
    except (OSError, InvalidFileException, zipfile.BadZipFile, KeyError, ValueError) as exc:
        reading.problem(
            "",
            "",
            "không mở được tệp Excel (.xlsx)",
            f"cannot be opened as an .xlsx workbook ({type(exc).__name__})",
        )
        return None, reading.problems
    missing = [s.title for s in SHEETS if s.title not in workbook.sheetnames]
    for title in missing:
        reading.problem(
            title,
            "",
            "thiếu trang này; hãy dùng mẫu do `tcd survey template` tạo",
            "sheet missing; use the workbook made by `tcd survey template`",
        )
    if missing:
        return None, reading.problems

    code = _identity(reading, workbook, inventory)
    for form in FORMS:
        _read_form(reading, workbook, form)
    for table in TABLES:
        _read_table(reading, workbook, table)
    if not reading.problems:
        _cross_checks(reading)
    if not reading.problems:
        _validate(reading, ("survey",), SurveyFindings)
        _validate(reading, ("uplink",), Uplink)
    if reading.problems or code is None:
        return None, reading.problems
    survey = _ordered(reading.values["survey"], SurveyFindings)
    uplink = _ordered(reading.values["uplink"], Uplink)
    return SurveyEntry(path, code, survey, uplink), []


def _identity(reading: _Reading, workbook: Workbook, inventory: Inventory) -> int | None:
    sheet = IDENTITY.title
    version_cell = IDENTITY.cell("template")
    version = workbook[sheet][version_cell].value
    if version != TEMPLATE_VERSION:
        reading.problem(
            sheet,
            version_cell,
            f"phiên bản mẫu {version!r} không đúng (cần {TEMPLATE_VERSION})",
            f"template version {version!r} is not {TEMPLATE_VERSION}",
        )
    code_answer = IDENTITY.answers[0]
    code_cell = IDENTITY.cell("code")
    code = reading.read(workbook, sheet, code_cell, code_answer)
    if code is None:
        return None
    site = inventory.sites.get(code)
    if site is None:
        reading.problem(
            sheet,
            code_cell,
            f"mã đơn vị {code} không có trong danh mục 95 đơn vị",
            f"admin code {code} is not a unit of the inventory",
        )
        return None
    name_cell = IDENTITY.cell("name")
    name = workbook[sheet][name_cell].value
    if not is_blank(name) and " ".join(str(name).split()) != site.name:
        reading.problem(
            sheet,
            name_cell,
            f"tên {name!r} không khớp với mã {code} ({site.name})",
            f"name {name!r} does not match code {code} ({site.name})",
        )
    return code


def _read_form(reading: _Reading, workbook: Workbook, form: FormSheet) -> None:
    for answer in form.answers:
        if answer.target[0] not in {"survey", "uplink"}:
            continue  # identity: read by _identity
        cell = form.cell(*answer.target)
        value = reading.read(workbook, form.title, cell, answer)
        reading.put(answer.target, value, form.title, cell)


def _read_table(reading: _Reading, workbook: Workbook, table: TableSheet) -> None:
    sheet = workbook[table.title]
    count = 0
    for row in range(table.rows):
        cells = [table.cell(answer.key, row) for answer in table.answers]
        if all(is_blank(sheet[c].value) for c in cells):
            continue  # a row left empty: no item
        for answer, cell in zip(table.answers, cells, strict=True):
            value = reading.read(workbook, table.title, cell, answer)
            reading.put((*table.target, count, answer.key), value, table.title, cell)
        count += 1
    # put() built {index: item}; the site file holds a list (an empty one: surveyed, none found)
    section, key = table.target
    reading.values.setdefault(section, {})[key] = [
        reading.at((*table.target, i)) or {} for i in range(count)
    ]


def _cross_checks(reading: _Reading) -> None:
    """Rules between two cells, each blamed on the cell the clerk should change."""
    kind = reading.at(("uplink", "kind"))
    bandwidth_place = ("uplink", "bandwidth_mbps")
    if kind == UplinkKind.NONE and reading.at(bandwidth_place) is not None:
        reading.problem(
            *reading.cell_of(bandwidth_place),
            "không có đường truyền thì không ghi băng thông",
            "no uplink: leave the bandwidth empty",
        )
    if kind not in {None, UplinkKind.NONE} and reading.at(bandwidth_place) is None:
        reading.problem(
            *reading.cell_of(bandwidth_place),
            "cần ghi băng thông theo hợp đồng của đường truyền",
            "the uplink's contracted bandwidth is required",
        )
    capacity_place = ("survey", "ups", "capacity_va")
    present = reading.at(("survey", "ups", "present"))
    if present is False and reading.at(capacity_place) is not None:
        reading.problem(
            *reading.cell_of(capacity_place),
            "không có UPS thì không ghi công suất",
            "no UPS: leave its capacity empty",
        )
    if present is True and reading.at(capacity_place) is None:
        reading.problem(
            *reading.cell_of(capacity_place),
            "có UPS thì cần ghi công suất (VA)",
            "a UPS is present: its capacity (VA) is required",
        )
    date = reading.at(("survey", "date"))
    for index, pc in enumerate(reading.at(("survey", "pcs")) or []):
        year = pc.get("year_purchased")
        if date is not None and year is not None and year > date.year:
            reading.problem(
                *reading.cell_of(("survey", "pcs", index, "year_purchased")),
                f"năm mua {year} sau ngày khảo sát",
                f"purchased in {year}, after the survey date",
            )


def _validate(reading: _Reading, place: Path_, model: type[BaseModel]) -> None:
    try:
        model.model_validate(reading.at(place) or {})
    except ValidationError as exc:
        for err in exc.errors():
            sheet, cell = reading.cell_of((*place, *err["loc"]))
            vi = _VI_REASONS.get(err["type"], "giá trị không hợp lệ").format(**err.get("ctx", {}))
            got = err.get("input")
            en = err["msg"].removeprefix("Value error, ")
            if not isinstance(got, dict | list) and err["type"] != "missing":
                en += f" (got {got!r})"
            reading.problem(sheet, cell, vi, en)


def _ordered(values: dict[str, Any], model: type[BaseModel]) -> dict[str, Any]:
    """Keys in the model's field order (nested models too), so files read alike."""
    ordered: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if name not in values:
            continue
        value = values[name]
        inner = inner_model(info.annotation)
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            if isinstance(value, dict):
                value = _ordered(value, inner)
            elif isinstance(value, list):
                value = [_ordered(item, inner) for item in value]
        ordered[name] = value
    return ordered
