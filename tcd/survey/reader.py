"""One filled survey workbook read back: every answer cell checked, normalised and validated by
the same models the inventory loader uses, each problem named as FILE › sheet › cell.

Every problem of every cell is found in one reading: a cell that cannot be read does not stop
the range limits and the rules between cells, which are checked on whatever else was read. The
workbook is compared with the template it was made from (template.py): a sheet whose labels
moved is refused, and anything typed outside the answer cells is reported, never dropped.
"""

import datetime as dt
import zipfile
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet
from pydantic import BaseModel, ValidationError

from tcd.loading import Inventory
from tcd.loading.problems import display_path
from tcd.loading.validate import inner_model
from tcd.model.site import Uplink, UplinkKind
from tcd.model.survey import SurveyFindings
from tcd.survey.cells import CellError, is_blank, read_answer, vi_number
from tcd.survey.layout import (
    DEMO_LABEL,
    FORMS,
    HEADER_ROW,
    IDENTITY,
    INSTRUCTIONS,
    SHEETS,
    TABLES,
    TEMPLATE_VERSION,
    Answer,
    FormSheet,
    TableSheet,
)
from tcd.survey.template import survey_template

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
    warning: bool = False  # reported, but the workbook is imported

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
    computed: Workbook | None = None  # the same workbook with formulas' computed values
    problems: list[CellProblem] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    where: dict[Path_, tuple[str, str]] = field(default_factory=dict)
    failed: set[tuple[str, str]] = field(default_factory=set)  # cells already reported
    merged: dict[tuple[str, str], str] = field(default_factory=dict)  # cell -> its merge
    refused: set[str] = field(default_factory=set)  # sheets whose rows moved: not read

    def problem(self, sheet: str, cell: str, vi: str, en: str) -> None:
        self.problems.append(CellProblem(self.path, sheet, cell, vi, en))
        self.failed.add((sheet, cell))

    def warn(self, sheet: str, cell: str, vi: str, en: str) -> None:
        self.problems.append(CellProblem(self.path, sheet, cell, vi, en, warning=True))

    @property
    def errors(self) -> list[CellProblem]:
        return [p for p in self.problems if not p.warning]

    def read(self, workbook: Workbook, sheet: str, cell: str, answer: Answer) -> Any:
        if (sheet, cell) in self.merged:
            self.problem(
                sheet,
                cell,
                f"ô nằm trong vùng gộp ô {self.merged[sheet, cell]} nên không đọc được; hãy bỏ"
                " gộp ô (Unmerge) và điền lại",
                f"the cell is part of the merged range {self.merged[sheet, cell]}, so it cannot"
                " be read; unmerge it and type the answer again",
            )
            return None
        target = workbook[sheet][cell]
        value, data_type = target.value, target.data_type
        if data_type == "f" and self.computed is not None:
            computed = self.computed[sheet][cell]
            if computed.value is not None:  # what Excel computed when it last saved the file
                value, data_type = computed.value, computed.data_type
        try:
            value = read_answer(value, data_type, answer, self.today)
        except CellError as exc:
            self.problem(sheet, cell, exc.vi, exc.en)
            return None
        if value is None and answer.required and (sheet, cell) not in self.failed:
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

    def known(self, *places: Path_) -> bool:
        """Whether every one of these was read (empty or not) without a problem: a rule between
        cells is only checked on cells that were."""
        return all(self.cell_of(place) not in self.failed for place in places)


def read_workbook(
    path: Path, inventory: Inventory, today: dt.date
) -> tuple[SurveyEntry | None, list[CellProblem]]:
    """The entry for one workbook and its warnings, or its problems (errors and warnings): an
    entry only when no problem is an error."""
    reading = _Reading(path, today)
    try:
        workbook = load_workbook(path, data_only=False)
        reading.computed = load_workbook(path, data_only=True)
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

    template = _template_text(_is_demo(workbook))
    for sheet in SHEETS:
        _check_rows_in_place(reading, workbook[sheet.title], sheet, template[sheet.title])
        _find_merges(reading, workbook[sheet.title], sheet)
    _outside_answers(reading, workbook, template)
    code = _identity(reading, workbook, inventory)
    for form in FORMS:
        _read_form(reading, workbook, form)
    for table in TABLES:
        _read_table(reading, workbook, table)
    _cross_checks(reading)
    _validate(reading, ("survey",), SurveyFindings)
    _validate(reading, ("uplink",), Uplink)
    problems = sorted(reading.problems, key=_position)
    if reading.errors or code is None:
        return None, problems
    survey = _ordered(reading.values["survey"], SurveyFindings)
    uplink = _ordered(reading.values["uplink"], Uplink)
    return SurveyEntry(path, code, survey, uplink), problems


_SHEET_ORDER = {
    title: index for index, title in enumerate((INSTRUCTIONS, *(s.title for s in SHEETS)))
}


def _position(problem: CellProblem) -> tuple[int, int, int, bool]:
    """In the workbook's order: sheet by sheet, row by row, errors before warnings."""
    row = column = 0
    if problem.cell:
        letters, row = coordinate_from_string(problem.cell)
        column = column_index_from_string(letters)
    return _SHEET_ORDER.get(problem.sheet, len(_SHEET_ORDER)), row, column, problem.warning


# ---- the workbook against its template --------------------------------------------------------


@cache
def _template_text(demo: bool) -> dict[str, dict[str, str]]:
    """Every cell the template writes text into, by sheet: labels, headings, hints, the guide."""
    workbook = survey_template(None, demo=demo, password="-")  # not saved: any password does
    return {
        sheet.title: {
            cell.coordinate: _shown(cell.value)
            for row in sheet.iter_rows()
            for cell in row
            if not is_blank(cell.value)
        }
        for sheet in workbook.worksheets
    }


def _is_demo(workbook: Workbook) -> bool:
    return INSTRUCTIONS in workbook.sheetnames and workbook[INSTRUCTIONS]["A1"].value == DEMO_LABEL


def _shown(value: Any) -> str:
    return " ".join(str(value).split())


def _answer_cells(sheet: FormSheet | TableSheet) -> dict[str, Answer]:
    if isinstance(sheet, FormSheet):
        return {sheet.cell(*answer.target): answer for answer in sheet.answers}
    return {
        sheet.cell(answer.key, item): answer
        for item in range(sheet.rows)
        for answer in sheet.answers
    }


def _check_rows_in_place(
    reading: _Reading, worksheet: Worksheet, sheet: FormSheet | TableSheet, expected: dict[str, str]
) -> None:
    """A deleted or inserted row (a column, in a table) moves every answer below it to another
    question: the labels of column A (a table's headers) must be the template's, row by row."""
    if isinstance(sheet, FormSheet):
        last = sheet.row(sheet.answers[-1].target)
        cells = [f"A{row}" for row in range(1, last + 1)]
    else:
        cells = [c for c in expected if coordinate_from_string(c)[1] <= HEADER_ROW]
    for cell in cells:
        found = worksheet[cell].value
        want = expected.get(cell)
        if (_shown(found) if not is_blank(found) else None) == want:
            continue
        row = coordinate_from_string(cell)[1]
        reading.problem(
            sheet.title,
            cell,
            f"ô {cell} ghi {_quoted(found)}, mẫu ghi {_quoted(want)}: trang đã bị xoá, chèn hoặc"
            f" sửa dòng từ dòng {row}, câu trả lời không còn đúng câu hỏi nên trang này không"
            " được nhập; hãy chép câu trả lời sang một mẫu mới nguyên vẹn",
            f"{cell} reads {_quoted(found)} where the template has {_quoted(want)}: rows were"
            f" deleted, inserted or edited from row {row} on, so answers no longer face their"
            " questions; the sheet is not read (copy the answers into a fresh template)",
        )
        reading.refused.add(sheet.title)
        return


def _quoted(value: Any) -> str:
    if is_blank(value):
        return "(trống)"
    text = _shown(value)
    return repr(text if len(text) <= 60 else text[:59] + "…")


def _find_merges(reading: _Reading, worksheet: Worksheet, sheet: FormSheet | TableSheet) -> None:
    """An answer cell merged into another cell shows nothing of its own: it is reported as
    such, not as left empty."""
    answers = _answer_cells(sheet)
    for merge in worksheet.merged_cells.ranges:
        for row, column in list(merge.cells)[1:]:  # the first cell keeps the merge's value
            cell = worksheet.cell(row=row, column=column).coordinate
            if cell in answers:
                reading.merged[sheet.title, cell] = merge.coord


def _outside_answers(
    reading: _Reading, workbook: Workbook, template: dict[str, dict[str, str]]
) -> None:
    """Whatever is typed where the template has no answer cell: a warning naming the cell and
    its text, or an error when it is an answer in the wrong place (beside an empty answer cell,
    or in a row below a table)."""
    layouts = {sheet.title: sheet for sheet in SHEETS}
    for worksheet in workbook.worksheets:
        title = worksheet.title
        if title in reading.refused:
            continue  # already refused as a whole
        layout = layouts.get(title)
        answers = _answer_cells(layout) if layout is not None else {}
        expected = template.get(title, {})
        rows_below: set[int] = set()
        for row in worksheet.iter_rows():
            for cell in row:
                if is_blank(cell.value) or cell.coordinate in answers:
                    continue
                if expected.get(cell.coordinate) == _shown(cell.value):
                    continue
                if isinstance(layout, FormSheet):
                    _beside_form_answer(reading, worksheet, layout, cell.row, cell.coordinate)
                elif isinstance(layout, TableSheet) and _below_table(layout, cell.row, cell.column):
                    if cell.row not in rows_below:  # one error for the row
                        rows_below.add(cell.row)
                        _below_table_problem(reading, layout, cell.row, cell.coordinate, cell.value)
                else:
                    _stray(reading, title, cell.coordinate, cell.value)


def _beside_form_answer(
    reading: _Reading, worksheet: Worksheet, form: FormSheet, row: int, cell: str
) -> None:
    value = worksheet[cell].value
    answer = next((a for a in form.answers if form.row(a.target) == row), None)
    answer_cell = f"B{row}"
    if (
        answer is None
        or not is_blank(worksheet[answer_cell].value)
        or not _reads_as(value, answer, reading.today)
    ):
        _stray(reading, form.title, cell, value)
        return
    reading.problem(
        form.title,
        cell,
        f"{_quoted(value)} ghi ngoài ô trả lời: câu trả lời cho “{answer.label}” phải ghi vào ô"
        f" {answer_cell} (đang trống)",
        f"{_quoted(value)} is outside the answer cell: the answer to {answer.label!r} goes in"
        f" {answer_cell}, which is empty",
    )
    reading.failed.add((form.title, answer_cell))  # not also "required, left empty"


def _reads_as(value: Any, answer: Answer, today: dt.date) -> bool:
    """Whether a text would be a valid answer to `answer`: beside its empty cell, it is one."""
    try:
        read_answer(value, "s", answer, today)
    except CellError:
        return False
    return True


def _below_table(table: TableSheet, row: int, column: int) -> bool:
    return row > table.last_row and column <= len(table.answers)


def _below_table_problem(
    reading: _Reading, table: TableSheet, row: int, cell: str, value: Any
) -> None:
    first = HEADER_ROW + 1
    reading.problem(
        table.title,
        cell,
        f"dòng {row} ({_quoted(value)}) ở dưới bảng, không được nhập: bảng có {table.rows} dòng"
        f" (dòng {first}–{table.last_row}); {table.overflow}",
        f"row {row} ({_quoted(value)}) is below the table and is not imported: the table has"
        f" {table.rows} rows ({first}–{table.last_row}); fit it into them",
    )


def _stray(reading: _Reading, sheet: str, cell: str, value: Any) -> None:
    reading.warn(
        sheet,
        cell,
        f"ô ngoài phiếu có nội dung {_quoted(value)}, không được nhập",
        f"a cell outside the answers holds {_quoted(value)}; it is not imported",
    )


def _identity(reading: _Reading, workbook: Workbook, inventory: Inventory) -> int | None:
    sheet = IDENTITY.title
    if sheet in reading.refused:
        return None
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
    refused = form.title in reading.refused
    for answer in form.answers:
        if answer.target[0] not in {"survey", "uplink"}:
            continue  # identity: read by _identity
        cell = form.cell(*answer.target)
        if refused:  # its problem is told once, on the row that moved
            reading.failed.add((form.title, cell))
        value = None if refused else reading.read(workbook, form.title, cell, answer)
        reading.put(answer.target, value, form.title, cell)


def _read_table(reading: _Reading, workbook: Workbook, table: TableSheet) -> None:
    if table.title in reading.refused:
        return
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
    """Rules between two cells, each blamed on the cell the clerk should change; a rule is
    checked when both its cells were read without a problem."""
    kind_place = ("uplink", "kind")
    bandwidth_place = ("uplink", "bandwidth_mbps")
    kind = reading.at(kind_place)
    if reading.known(kind_place, bandwidth_place):
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
    present_place = ("survey", "ups", "present")
    capacity_place = ("survey", "ups", "capacity_va")
    present = reading.at(present_place)
    if reading.known(present_place, capacity_place):
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
    """The models' limits, on everything that was read. A cell already reported is not
    reported again (it is missing here because it could not be read), and a rule of the whole
    model (an uplink's bandwidth) is one of the cross-checks, told there on its cell."""
    try:
        model.model_validate(reading.at(place) or {})
    except ValidationError as exc:
        for err in exc.errors():
            sheet, cell = reading.cell_of((*place, *err["loc"]))
            if (sheet, cell) in reading.failed or not err["loc"]:
                continue
            ctx = {
                k: vi_number(v) if isinstance(v, int | float) else v
                for k, v in err.get("ctx", {}).items()
            }
            vi = _VI_REASONS.get(err["type"], "giá trị không hợp lệ").format(**ctx)
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
