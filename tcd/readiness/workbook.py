"""The readiness workbook, written with XlsxWriter, for a provincial department to submit as
it is: a summary sheet ("Tổng hợp") and one sheet per unit, in Vietnamese, amounts in VND.

Every amount that is a product or a sum is an Excel formula, with the review's figure saved as
its result (a viewer that does not recalculate shows the right number): a cost line is
quantity × unit price, a unit's totals add up its lines, the summary takes each unit's totals
from its sheet and every subtotal adds those. Whoever edits a unit price in Excel sees every
total above it follow. Every sheet prints on A4 landscape, one page wide, its table's header
row repeated on each page, page numbers in the footer.

`tcd readiness --by province` writes one such workbook per former province and a national
summary workbook (fill_national): one sheet per former province with its totals by status.
"""

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import NamedTuple

from xlsxwriter import Workbook
from xlsxwriter.exceptions import XlsxInputError
from xlsxwriter.format import Format
from xlsxwriter.utility import quote_sheetname, xl_range_abs, xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

from tcd.readiness.assess import Review, Status, Totals, UnitAssessment
from tcd.readiness.wording import (
    LEVELS,
    MOTTO,
    NATION,
    RECURRING,
    SIGN_HERE,
    SIGNERS,
    STATUS_ORDER,
    TITLE,
    Letterhead,
    describe,
    note,
    province_label,
    share_text,
)

SUMMARY_SHEET = "Tổng hợp"
OPTIONS = {
    # each sheet is assembled in memory: on disk XlsxWriter makes, opens and removes a
    # temporary file per sheet, a quarter of writing 3,321 units' workbooks
    "in_memory": True,
    # surveyed text is written as text, never read as a number, a formula or a link
    "strings_to_numbers": False,
    "strings_to_formulas": False,
    "strings_to_urls": False,
}
MONEY = '#,##0 "₫"'
SHARE = "?/?"  # a unit's share in a district, as Excel writes a fraction: 1/2
HEADER_FILL = "#DDEBF7"
PAPER_A4 = 9
FOOTER = "&CTrang &P / &N"
WHOLE_PROVINCE = "Toàn tỉnh"
ALL_SCOPED = "Tổng cộng"  # a former province's workbook, and the national summary

# The summary's units list; the tables below it use the same columns: a label over A:C, the
# number of units in D, the four statuses in E:H, the amounts in I:J and a note in K.
SUMMARY_COLUMNS = (
    "STT",
    "Mã ĐVHC",
    "Đơn vị",
    "Huyện cũ",
    "Đợt",
    "Trạng thái",
    "Số thiếu hụt",
    "Các thiếu hụt",
    "Đầu tư một lần (₫)",
    "Chi phí hằng năm (₫)",
)
SUMMARY_WIDTHS = (6, 10, 28, 36, 12, 16, 12, 44, 20, 20, 44)  # characters, as Excel shows them
CODE, NAME, DISTRICTS, WAVE, STATUS, GAP_COUNT, GAPS, ONE_OFF, YEARLY, NOTE = range(1, 11)
SHARE_COLUMN = WAVE  # in the table of units shared between districts
LABEL_END, COUNT = 2, 3
STATUS_COLUMNS = dict(zip(STATUS_ORDER, range(4, 8), strict=True))
TOTALS_COLUMNS = ("Số đơn vị", *STATUS_ORDER, "Đầu tư một lần (₫)", "Chi phí hằng năm (₫)")

DETAIL_COLUMNS = (
    "Mã yêu cầu",
    "Nội dung",
    "Mức",
    "Hiện trạng",
    "Đề xuất đầu tư",
    "Số lượng",
    "Đơn vị tính",
    "Đơn giá (₫)",
    "Thành tiền (₫)",
    "Ghi chú",
)
DETAIL_WIDTHS = (14, 48, 12, 16, 48, 9, 10, 14, 16, 30)
QUANTITY, UNIT_PRICE, AMOUNT, LINE_NOTE = 5, 7, 8, 9
ONE_OFF_LABEL = "Cộng đầu tư một lần"
YEARLY_LABEL = "Cộng chi phí hằng năm"

PROVINCE_COLUMNS = ("Trạng thái", "Số đơn vị", "Đầu tư một lần (₫)", "Chi phí hằng năm (₫)")
PROVINCE_WIDTHS = (24, 12, 20, 20)

Number = int | Fraction


class CellError(XlsxInputError):
    """A cell XlsxWriter would cut or drop: it returns an error code instead of raising."""


class Styles(NamedTuple):
    """The workbook's cell formats, made once and shared by every cell that has one."""

    heading: Format
    title: Format
    centred: Format
    centred_bold: Format
    centred_italic: Format
    header: Format
    text: Format
    wrapped: Format
    bold_text: Format
    number: Format
    bold_number: Format
    money: Format
    bold_money: Format
    share: Format

    @classmethod
    def of(cls, book: Workbook) -> "Styles":
        def style(**properties: object) -> Format:
            return book.add_format({"valign": "top", **properties})

        cell = {"border": 1}
        return cls(
            heading=style(bold=True),
            title=style(bold=True, font_size=13, align="center", text_wrap=True),
            centred=style(align="center"),
            centred_bold=style(bold=True, align="center"),
            centred_italic=style(italic=True, align="center"),
            header=style(
                **cell, bold=True, pattern=1, bg_color=HEADER_FILL, text_wrap=True, align="center"
            ),
            text=style(**cell),
            wrapped=style(**cell, text_wrap=True),
            bold_text=style(**cell, bold=True),
            number=style(**cell),
            bold_number=style(**cell, bold=True),
            money=style(**cell, num_format=MONEY),
            bold_money=style(**cell, bold=True, num_format=MONEY),
            share=style(**cell, num_format=SHARE),
        )


def _cached(value: Number) -> int | float:
    """A formula's saved result: whole numbers stay whole."""
    return int(value) if value == int(value) else float(value)


class Sheet:
    """A worksheet written top to bottom from row `row`; every write is checked."""

    def __init__(self, worksheet: Worksheet, widths: Sequence[float]) -> None:
        self.ws = worksheet
        self.row = 0
        for column, width in enumerate(widths):
            worksheet.set_column(column, column, width)

    def _check(self, error: int, row: int, column: int) -> None:
        if error:
            reason = "text longer than 32,767 characters" if error == -2 else "outside the sheet"
            where = xl_rowcol_to_cell(row, column)
            raise CellError(f"sheet {self.ws.name!r}, cell {where}: {reason}")

    def text(self, column: int, value: str, style: Format | None = None) -> None:
        """A text; an empty one leaves the cell empty (with its border)."""
        if value:
            error = self.ws.write_string(self.row, column, value, style)
        else:
            error = self.ws.write_blank(self.row, column, None, style)
        self._check(error, self.row, column)

    def number(self, column: int, value: Number, style: Format | None = None) -> None:
        error = self.ws.write_number(self.row, column, _cached(value), style)
        self._check(error, self.row, column)

    def formula(self, column: int, formula: str, value: Number, style: Format) -> None:
        error = self.ws.write_formula(self.row, column, formula, style, _cached(value))
        self._check(error, self.row, column)

    def merged(self, first: int, last: int, value: str, style: Format | None) -> None:
        """Text over several columns of the row (a label, a line of the letterhead)."""
        if last > first:
            self.ws.merge_range(self.row, first, self.row, last, "", style)
        self.text(first, value, style)

    def header(self, titles: Sequence[tuple[int, str]], style: Format) -> None:
        for column, title in titles:
            self.text(column, title, style)

    def skip(self, rows: int = 1) -> None:
        self.row += rows

    def cell(self, column: int, absolute: bool = True) -> str:
        """This row's cell in `column`, as a formula names it ('$I$20')."""
        return xl_rowcol_to_cell(self.row, column, absolute, absolute)


def print_setup(sheet: Worksheet, header_row: int | None) -> None:
    """A4 landscape, one page wide and as many long as it takes, the table's header on top
    of every page, 'Trang 2 / 5' at the bottom."""
    sheet.set_paper(PAPER_A4)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.center_horizontally()
    sheet.set_footer(FOOTER)
    if header_row is not None:
        sheet.repeat_rows(header_row)


def sheet_title(unit: UnitAssessment) -> str:
    """'26380 Long Hưng': the code keeps it unique; Excel allows 31 characters, no []:*?/\\."""
    name = re.sub(r"^(Phường|Xã|Đặc khu) ", "", unit.site.name)
    return re.sub(r"[\[\]:*?/\\]", "-", " ".join((str(unit.site.code), name)))[:31]


def province_sheet_title(province: str) -> str:
    """A former province's sheet in the national summary: its name as Excel allows it."""
    return re.sub(r"[\[\]:*?/\\]", "-", province).strip("'")[:31] or "-"


def _quoted(text: str) -> str:
    """A text constant inside a formula."""
    return '"' + text.replace('"', '""') + '"'


# ---- a province's workbook ---------------------------------------------------------------


def fill_workbook(
    book: Workbook,
    review: Review,
    today: dt.date,
    letterhead: Letterhead,
    scope: str | None = None,
) -> None:
    """The summary sheet, then one sheet per unit. `scope`: the former province the review
    was cut to (its own workbook), None for the whole province."""
    styles = Styles.of(book)
    summary = book.add_worksheet(SUMMARY_SHEET)  # first, filled last: it refers to the units
    totals = [_unit_sheet(book, styles, unit) for unit in review.units]
    _summary_sheet(
        Sheet(summary, SUMMARY_WIDTHS),
        styles,
        review,
        today=today,
        letterhead=letterhead,
        unit_totals=totals,
        scope=scope,
    )


def _letterhead(sheet: Sheet, styles: Styles, letterhead: Letterhead, today: dt.date) -> None:
    """The issuing office on the left, the national motto and the date line on the right,
    as an administrative document begins; then a blank row."""
    office = letterhead.office
    # the issuer is in bold: the department when there is one, under its superior
    sheet.merged(
        0, DISTRICTS, letterhead.superior, styles.centred if office else styles.centred_bold
    )
    sheet.merged(STATUS, YEARLY, NATION, styles.centred_bold)
    sheet.skip()
    if office:
        sheet.merged(0, DISTRICTS, office, styles.centred_bold)
    sheet.merged(STATUS, YEARLY, MOTTO, styles.centred_bold)
    sheet.skip()
    sheet.merged(STATUS, YEARLY, letterhead.dated(today), styles.centred_italic)
    sheet.skip(2)


def _signatures(sheet: Sheet, styles: Styles) -> None:
    sheet.skip(2)
    for (first, last), signer in zip(((CODE, DISTRICTS), (GAPS, NOTE)), SIGNERS, strict=True):
        sheet.merged(first, last, signer, styles.centred_bold)
    sheet.skip()
    for first, last in ((CODE, DISTRICTS), (GAPS, NOTE)):
        sheet.merged(first, last, SIGN_HERE, styles.centred_italic)
    sheet.skip()


def _summary_sheet(
    sheet: Sheet,
    styles: Styles,
    review: Review,
    *,
    today: dt.date,
    letterhead: Letterhead,
    unit_totals: list[tuple[str, str]],
    scope: str | None,
) -> None:
    _letterhead(sheet, styles, letterhead, today)
    sheet.ws.set_row(sheet.row, 36)
    sheet.merged(0, NOTE, TITLE.upper(), styles.title)
    sheet.skip()
    prices = review.baseline.prices_as_of.strftime("%d/%m/%Y")
    line = f"Đơn giá tham khảo tại ngày {prices}, cần thay bằng báo giá trước khi mua sắm."
    if scope is not None:
        line = f"Phạm vi: các đơn vị thuộc {province_label(scope)}. {line}"
    sheet.merged(0, NOTE, line, styles.centred_italic)
    sheet.skip(2)
    print_setup(sheet.ws, sheet.row)
    sheet.header(list(enumerate(SUMMARY_COLUMNS)), styles.header)
    sheet.skip()
    if not review.units:
        sheet.text(0, "Không có đơn vị nào.")
        return
    units = _units_list(sheet, styles, review, unit_totals)
    shared = _shared_units(sheet, styles, review, units)
    _district_table(sheet, styles, review, units, shared=shared, scope=scope)
    _wave_table(sheet, styles, review, units)
    _signatures(sheet, styles)


class Ranges(NamedTuple):
    """Columns of a table of units, as formulas name them ('$D$9:$D$103')."""

    first: int
    last: int
    rows: dict[int, int]  # unit code -> its row

    def of(self, column: int) -> str:
        return xl_range_abs(self.first, column, self.last, column)


def _units_list(
    sheet: Sheet, styles: Styles, review: Review, unit_totals: list[tuple[str, str]]
) -> Ranges:
    first, rows = sheet.row, {}
    for number, (unit, (one_off, yearly)) in enumerate(
        zip(review.units, unit_totals, strict=True), start=1
    ):
        rows[unit.site.code] = sheet.row
        sheet.number(0, number, styles.number)
        sheet.number(CODE, unit.site.code, styles.number)
        sheet.text(NAME, unit.site.name, styles.text)
        sheet.text(DISTRICTS, "; ".join(unit.districts), styles.wrapped)
        sheet.text(WAVE, unit.wave, styles.text)
        sheet.text(STATUS, str(unit.status), styles.text)
        sheet.number(GAP_COUNT, len(unit.gaps), styles.number)
        sheet.text(GAPS, ", ".join(gap.requirement.id for gap in unit.gaps), styles.wrapped)
        sheet.formula(ONE_OFF, f"={one_off}", unit.one_off, styles.money)
        sheet.formula(YEARLY, f"={yearly}", unit.yearly, styles.money)
        sheet.skip()
    return Ranges(first, sheet.row - 1, rows)


def _shared_units(sheet: Sheet, styles: Styles, review: Review, units: Ranges) -> Ranges | None:
    """Each unit of several former districts once per district, with its share of the
    unit's costs: what the district totals add besides the units wholly theirs."""
    shared = [unit for unit in review.units if len(unit.districts) > 1]
    if not shared:
        return None
    sheet.skip()
    sheet.text(0, "Đơn vị gồm nhiều huyện cũ: chi phí chia đều cho các huyện cũ", styles.heading)
    sheet.skip()
    sheet.header(
        [
            (CODE, "Mã ĐVHC"),
            (NAME, "Đơn vị"),
            (DISTRICTS, "Huyện cũ"),
            (SHARE_COLUMN, "Tỷ lệ"),
            (STATUS, "Trạng thái"),
            (ONE_OFF, SUMMARY_COLUMNS[ONE_OFF]),
            (YEARLY, SUMMARY_COLUMNS[YEARLY]),
        ],
        styles.header,
    )
    sheet.skip()
    first = sheet.row
    for unit in shared:
        whole = units.rows[unit.site.code]
        for district, share in unit.districts.items():
            sheet.number(CODE, unit.site.code, styles.number)
            sheet.text(NAME, unit.site.name, styles.text)
            sheet.text(DISTRICTS, district, styles.wrapped)
            sheet.number(SHARE_COLUMN, share, styles.share)
            sheet.text(STATUS, str(unit.status), styles.text)
            part = sheet.cell(SHARE_COLUMN, absolute=False)
            for column, amount in ((ONE_OFF, unit.one_off), (YEARLY, unit.yearly)):
                of_unit = xl_rowcol_to_cell(whole, column)
                sheet.formula(column, f"={part}*{of_unit}", share * amount, styles.money)
            sheet.skip()
    return Ranges(first, sheet.row - 1, {})


def _totals_header(sheet: Sheet, styles: Styles, label: str, note_title: str) -> None:
    sheet.merged(0, LABEL_END, label, styles.header)
    sheet.header(
        [(COUNT + i, str(title)) for i, title in enumerate(TOTALS_COLUMNS)] + [(NOTE, note_title)],
        styles.header,
    )
    sheet.skip()


def _totals_row(
    sheet: Sheet,
    styles: Styles,
    label: str,
    formulas: Mapping[int, str],
    totals: Totals,
    *,
    bold: bool = False,
    note_text: str = "",
) -> None:
    """A row of a totals table: `formulas` by column (COUNT, the statuses, ONE_OFF, YEARLY),
    each saved with its figure from `totals`."""
    text = styles.bold_text if bold else styles.text
    number = styles.bold_number if bold else styles.number
    money = styles.bold_money if bold else styles.money
    sheet.merged(0, LABEL_END, label, text)
    sheet.formula(COUNT, formulas[COUNT], totals.units, number)
    for status, column in STATUS_COLUMNS.items():
        sheet.formula(column, formulas[column], totals.statuses[status], number)
    sheet.formula(ONE_OFF, formulas[ONE_OFF], totals.one_off, money)
    sheet.formula(YEARLY, formulas[YEARLY], totals.yearly, money)
    sheet.text(NOTE, note_text, styles.wrapped)
    sheet.skip()


def _sums(first: int, last: int) -> dict[int, str]:
    """SUM of the rows first..last in every figure column of a totals table."""
    columns = (COUNT, *STATUS_COLUMNS.values(), ONE_OFF, YEARLY)
    return {c: f"=SUM({xl_range_abs(first, c, last, c)})" for c in columns}


def _district_table(
    sheet: Sheet,
    styles: Styles,
    review: Review,
    units: Ranges,
    *,
    shared: Ranges | None,
    scope: str | None,
) -> None:
    """Per former district (a shared unit with its share), a subtotal per former province
    after its districts, then the whole: the units list's sums."""
    sheet.skip()
    sheet.text(0, "Tổng theo huyện cũ và tỉnh cũ", styles.heading)
    sheet.skip()
    _totals_header(sheet, styles, "Huyện cũ", "Đơn vị dùng chung (tỷ lệ)")
    districts = review.by_district()
    provinces = review.by_province()
    subtotals = []
    for province, names in review.districts_by_province().items():
        first = sheet.row
        for name in names:
            totals = districts[name]
            shared_text = "; ".join(
                f"{unit.site.code} {unit.site.name} ({share_text(share)})"
                for unit, share in totals.shared
            )
            formulas = _district_formulas(sheet.cell(0), units, shared)
            _totals_row(sheet, styles, name, formulas, totals, note_text=shared_text)
        subtotals.append(sheet.row)
        label = f"Cộng {province_label(province)}"
        sums = _sums(first, sheet.row - 1)
        _totals_row(sheet, styles, label, sums, provinces[province], bold=True)
    whole = {
        COUNT: f"=COUNT({units.of(CODE)})",
        **{
            column: f"=COUNTIF({units.of(STATUS)},{_quoted(str(status))})"
            for status, column in STATUS_COLUMNS.items()
        },
        ONE_OFF: f"=SUM({units.of(ONE_OFF)})",
        YEARLY: f"=SUM({units.of(YEARLY)})",
    }
    label = WHOLE_PROVINCE if scope is None else ALL_SCOPED
    _totals_row(sheet, styles, label, whole, review.province, bold=True)


def _district_formulas(name: str, units: Ranges, shared: Ranges | None) -> dict[int, str]:
    """A district's figures (`name`: the cell holding its name): the units wholly in it,
    whose 'Huyện cũ' is that district alone, plus its shares of the units it shares. The
    criterion is the name's cell, matched as Excel matches: * ? ~ would be patterns (the
    register's names have none)."""
    whole = units.of(DISTRICTS)
    formulas = {COUNT: f"=COUNTIF({whole},{name})"}
    for status, column in STATUS_COLUMNS.items():
        criterion = _quoted(str(status))
        formulas[column] = f"=COUNTIFS({whole},{name},{units.of(STATUS)},{criterion})"
    for column in (ONE_OFF, YEARLY):
        formulas[column] = f"=SUMIF({whole},{name},{units.of(column)})"
    if shared is not None:
        parts, share = shared.of(DISTRICTS), shared.of(SHARE_COLUMN)
        formulas[COUNT] += f"+SUMIF({parts},{name},{share})"
        for status, column in STATUS_COLUMNS.items():
            criterion = _quoted(str(status))
            formulas[column] += f"+SUMIFS({share},{parts},{name},{shared.of(STATUS)},{criterion})"
        for column in (ONE_OFF, YEARLY):
            formulas[column] += f"+SUMIF({parts},{name},{shared.of(column)})"
    return formulas


def _wave_table(sheet: Sheet, styles: Styles, review: Review, units: Ranges) -> None:
    """Per wave of waves.yml: the units whose 'Đợt' is that wave."""
    waves = review.by_wave()
    titles = {wave.name: wave.title for wave in review.waves}
    sheet.skip()
    sheet.text(0, "Tổng theo đợt triển khai", styles.heading)
    sheet.skip()
    _totals_header(sheet, styles, "Đợt", "Nội dung đợt")
    for name, totals in waves.items():
        key, in_waves = sheet.cell(0), units.of(WAVE)
        formulas = {
            COUNT: f"=COUNTIF({in_waves},{key})",
            **{
                column: f"=COUNTIFS({in_waves},{key},{units.of(STATUS)},{_quoted(str(status))})"
                for status, column in STATUS_COLUMNS.items()
            },
            ONE_OFF: f"=SUMIF({in_waves},{key},{units.of(ONE_OFF)})",
            YEARLY: f"=SUMIF({in_waves},{key},{units.of(YEARLY)})",
        }
        _totals_row(sheet, styles, name, formulas, totals, note_text=titles.get(name, ""))


def _unit_sheet(book: Workbook, styles: Styles, unit: UnitAssessment) -> tuple[str, str]:
    """The unit's detail; where its one-off and yearly totals are, for the summary."""
    title = sheet_title(unit)
    sheet = Sheet(book.add_worksheet(title), DETAIL_WIDTHS)
    sheet.text(0, unit.site.name, styles.heading)
    sheet.skip()
    date = unit.survey_date
    for label, value in (
        ("Mã đơn vị hành chính", unit.site.code),
        ("Huyện cũ", "; ".join(unit.districts)),
        ("Đợt triển khai", unit.wave),
        ("Ngày khảo sát", date.strftime("%d/%m/%Y") if date else "chưa khảo sát"),
    ):
        sheet.text(0, label)
        if isinstance(value, int):
            sheet.number(1, value)
        else:
            sheet.text(1, value)
        sheet.skip()
    sheet.text(0, "Trạng thái")
    sheet.text(1, str(unit.status), styles.heading)
    sheet.skip(2)
    lines: tuple[int, int] | None = None
    if unit.status is Status.NOT_SURVEYED:
        sheet.text(0, "Đơn vị chưa gửi phiếu khảo sát: chưa đánh giá được.")
        sheet.skip()
        print_setup(sheet.ws, None)
    elif not unit.gaps:
        sheet.text(0, "Đáp ứng tất cả các yêu cầu: không cần đầu tư.")
        sheet.skip()
        print_setup(sheet.ws, None)
    else:
        print_setup(sheet.ws, sheet.row)
        sheet.header(list(enumerate(DETAIL_COLUMNS)), styles.header)
        sheet.skip()
        lines = (sheet.row, _gap_lines(sheet, styles, unit))
    sheet.skip()
    refs = []
    for label, amount, recurring in (
        (ONE_OFF_LABEL, unit.one_off, False),
        (YEARLY_LABEL, unit.yearly, True),
    ):
        sheet.text(0, label, styles.bold_text)
        if lines is None:
            sheet.number(AMOUNT, amount, styles.bold_money)
        else:
            first, last = lines
            notes = xl_range_abs(first, LINE_NOTE, last, LINE_NOTE)
            amounts = xl_range_abs(first, AMOUNT, last, AMOUNT)
            criterion = _quoted(RECURRING if recurring else f"<>{RECURRING}")
            formula = f"=SUMIF({notes},{criterion},{amounts})"
            sheet.formula(AMOUNT, formula, amount, styles.bold_money)
        refs.append(f"{quote_sheetname(title)}!{sheet.cell(AMOUNT)}")
        sheet.skip()
    return refs[0], refs[1]


def _gap_lines(sheet: Sheet, styles: Styles, unit: UnitAssessment) -> int:
    """One row per cost line (amount = quantity × unit price), one for a gap without any;
    the last row written."""
    for gap in unit.gaps:
        requirement = gap.requirement
        first = (requirement.id, requirement.title, LEVELS[requirement.level], describe(gap))
        for index, line in enumerate(gap.costs or [None]):
            for column, value in enumerate(first):
                sheet.text(column, value if index == 0 else "", styles.wrapped)
            if line is None:
                for column in (QUANTITY - 1, QUANTITY, QUANTITY + 1, UNIT_PRICE):
                    sheet.text(column, "", styles.text)
                sheet.number(AMOUNT, 0, styles.money)
                sheet.text(LINE_NOTE, note(gap), styles.wrapped)
            else:
                sheet.text(QUANTITY - 1, line.price.title, styles.wrapped)
                sheet.number(QUANTITY, line.quantity, styles.number)
                sheet.text(QUANTITY + 1, line.price.unit, styles.text)
                sheet.number(UNIT_PRICE, line.price.unit_price_vnd, styles.money)
                product = f"={sheet.cell(QUANTITY, False)}*{sheet.cell(UNIT_PRICE, False)}"
                sheet.formula(AMOUNT, product, line.amount, styles.money)
                sheet.text(LINE_NOTE, RECURRING if line.price.recurring else "", styles.text)
            sheet.skip()
    return sheet.row - 1


# ---- the national summary ----------------------------------------------------------------


def fill_national(
    book: Workbook,
    review: Review,
    today: dt.date,
    letterhead: Letterhead,
    files: Mapping[str, str],
) -> None:
    """A summary sheet with one row per former province, each taken from that province's
    sheet (its units by status, each unit with its share in the province), and their sum.
    `files`: each former province's workbook, named on its row."""
    styles = Styles.of(book)
    summary = book.add_worksheet(SUMMARY_SHEET)
    provinces = review.by_province()
    refs = {
        province: _province_sheet(book, styles, review, province, file=files[province])
        for province in provinces
    }
    sheet = Sheet(summary, SUMMARY_WIDTHS)
    _letterhead(sheet, styles, letterhead, today)
    sheet.ws.set_row(sheet.row, 36)
    sheet.merged(0, NOTE, f"{TITLE.upper()} THEO TỈNH CŨ", styles.title)
    sheet.skip()
    prices = review.baseline.prices_as_of.strftime("%d/%m/%Y")
    line = (
        "Đơn vị gồm nhiều huyện cũ được tính cho mỗi huyện cũ theo tỷ lệ. Chi tiết từng đơn vị"
        f" trong tệp của tỉnh cũ. Đơn giá tham khảo tại ngày {prices}."
    )
    sheet.merged(0, NOTE, line, styles.centred_italic)
    sheet.skip(2)
    print_setup(sheet.ws, sheet.row)
    _totals_header(sheet, styles, "Tỉnh cũ", "Tệp chi tiết")
    first = sheet.row
    for province, cells in refs.items():
        formulas = {column: f"={cell}" for column, cell in cells.items()}
        _totals_row(
            sheet,
            styles,
            province_label(province),
            formulas,
            provinces[province],
            note_text=files[province],
        )
    sums = _sums(first, sheet.row - 1)
    _totals_row(sheet, styles, ALL_SCOPED, sums, review.province, bold=True)
    _signatures(sheet, styles)


def _province_sheet(
    book: Workbook, styles: Styles, review: Review, province: str, *, file: str
) -> dict[int, str]:
    """A former province's units by status, and their sum; where each figure is, by the
    column of the summary it goes to."""
    title = province_sheet_title(province)
    sheet = Sheet(book.add_worksheet(title), PROVINCE_WIDTHS)
    label = province_label(province)
    sheet.text(
        0, f"{label[0].upper()}{label[1:]}: đơn vị và chi phí theo trạng thái", styles.heading
    )
    sheet.skip()
    sheet.text(0, f"Chi tiết từng đơn vị: {file}")
    sheet.skip(2)
    print_setup(sheet.ws, sheet.row)
    sheet.header(list(enumerate(PROVINCE_COLUMNS)), styles.header)
    sheet.skip()
    quoted = quote_sheetname(title)
    refs: dict[int, str] = {}
    first = sheet.row
    for status, status_totals in review.by_status(province).items():
        sheet.text(0, str(status), styles.text)
        sheet.number(1, status_totals.units, styles.number)
        sheet.number(2, status_totals.one_off, styles.money)
        sheet.number(3, status_totals.yearly, styles.money)
        refs[STATUS_COLUMNS[status]] = f"{quoted}!{sheet.cell(1)}"
        sheet.skip()
    last = sheet.row - 1
    totals = review.by_province()[province]
    sheet.text(0, ALL_SCOPED, styles.bold_text)
    for column, value, style in (
        (1, totals.units, styles.bold_number),
        (2, totals.one_off, styles.bold_money),
        (3, totals.yearly, styles.bold_money),
    ):
        sheet.formula(column, f"=SUM({xl_range_abs(first, column, last, column)})", value, style)
    refs[COUNT] = f"{quoted}!{sheet.cell(1)}"
    refs[ONE_OFF] = f"{quoted}!{sheet.cell(2)}"
    refs[YEARLY] = f"{quoted}!{sheet.cell(3)}"
    return refs
