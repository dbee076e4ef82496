"""The proposal for the Province, from a Review: an xlsx workbook and an HTML report.

The workbook has a summary sheet (every unit, its status, gaps and cost; totals per former
district and for the province) and one sheet per unit with the detail. The HTML report
(templates/reports/readiness/) has the same totals and three charts drawn as inline SVG, so it
opens offline. Both are in Vietnamese; amounts are VND.
"""

import datetime as dt
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from tcd.batch import cycle_collector_paused
from tcd.readiness.assess import Gap, Review, Status, Totals, UnitAssessment
from tcd.readiness.xlsx import Cell, CellValue, Format, Sheet, Workbook, workbook
from tcd.render import render, replaced_atomically, write_atomically
from tcd.text import format_vnd

WORKBOOK_NAME = "ra-soat-san-sang.xlsx"
HTML_NAME = "ra-soat-san-sang.html"
SUMMARY_SHEET = "Tổng hợp"
TITLE = "Tổng hợp rà soát cơ sở vật chất, trang thiết bị phục vụ tiếp công dân trực tuyến"
STATUS_ORDER = (Status.READY, Status.UPGRADE, Status.NOT_MET, Status.NOT_SURVEYED)
STATUS_COLOURS = {
    Status.READY: "2E7D32",
    Status.UPGRADE: "F9A825",
    Status.NOT_MET: "C62828",
    Status.NOT_SURVEYED: "9E9E9E",
}
LEVELS = {"must": "Bắt buộc", "should": "Khuyến nghị"}
UNITS = {
    "ram_gb": "GB",
    "storage_gb": "GB",
    "resolution_p": "p",
    "size_inch": "inch",
    "bandwidth_mbps": "Mbps",
    "measured_mbps": "Mbps",
    "capacity_va": "VA",
    "area_m2": "m²",
    "lan_ports_in_room": "cổng",
}
SUMMARY_COLUMNS = (
    "STT",
    "Mã ĐVHC",
    "Đơn vị",
    "Huyện cũ",
    "Trạng thái",
    "Số thiếu hụt",
    "Các thiếu hụt",
    "Đầu tư một lần (₫)",
    "Chi phí hằng năm (₫)",
)
DISTRICT_COLUMNS = (
    "Huyện cũ",
    "Số đơn vị",
    *STATUS_ORDER,
    "Đầu tư một lần (₫)",
    "Chi phí hằng năm (₫)",
)
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
SUMMARY_WIDTHS = (6, 10, 28, 36, 16, 12, 44, 20, 20)  # in characters, as Excel shows them
DETAIL_WIDTHS = (14, 48, 12, 16, 48, 9, 10, 14, 16, 30)
MONEY = '#,##0 "₫"'
HEADER_FILL = "DDEBF7"


def describe(gap: Gap) -> str:
    """What the survey found, as printed: '4 GB', 'không có', 'hdd'."""
    value = gap.found
    if value is None or value is False:
        return "không có"
    if value is True:
        return "có"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    unit = UNITS.get(gap.requirement.check.field)
    return " ".join(str(part) for part in (value, unit) if part)


def sheet_title(unit: UnitAssessment) -> str:
    """'26380 Long Hưng': the code keeps it unique; Excel allows 31 characters, no []:*?/\\."""
    name = re.sub(r"^(Phường|Xã|Đặc khu) ", "", unit.site.name)
    return re.sub(r"[\[\]:*?/\\]", "-", " ".join((str(unit.site.code), name)))[:31]


def write_reports(review: Review, out_dir: Path, today: dt.date) -> tuple[Path, Path]:
    """Write the workbook and the HTML report into `out_dir`; their paths."""
    workbook_path = out_dir / WORKBOOK_NAME
    html_path = out_dir / HTML_NAME
    with cycle_collector_paused():
        # reports are for sharing: readable by all, like any document
        with replaced_atomically(workbook_path, 0o644) as tmp, workbook(tmp) as book:
            fill_workbook(book, review, today)
            # the library zips the workbook (1 s for thousands of sheets) without holding the
            # GIL: the HTML report is rendered meanwhile
            with ThreadPoolExecutor(1) as pool:
                saved = pool.submit(book.close)
                html = proposal_html(review, today)
                saved.result()
        write_atomically(html_path, html, 0o644)
    return workbook_path, html_path


# ---- xlsx ------------------------------------------------------------------------------------


class Styles(NamedTuple):
    """The workbook's few cell formats, made once and shared by every cell that has one."""

    bold: Format
    header: Format
    money: Format
    bold_money: Format

    @classmethod
    def of(cls, book: Workbook) -> "Styles":
        return cls(
            bold=book.format(bold=True),
            header=book.format(bold=True, fill=HEADER_FILL),
            money=book.format(num_format=MONEY),
            bold_money=book.format(bold=True, num_format=MONEY),
        )


class Rows:
    """Appends rows to a sheet, top to bottom."""

    def __init__(self, sheet: Sheet, widths: Sequence[float]) -> None:
        self.sheet = sheet
        self.next = 0
        for column, width in enumerate(widths):
            sheet.set_width(column, width)

    def append(self, row: Sequence[CellValue]) -> None:
        self.sheet.write_row(self.next, row)
        self.next += 1


def fill_workbook(book: Workbook, review: Review, today: dt.date) -> None:
    """The summary sheet, then one sheet per unit."""
    styles = Styles.of(book)
    _summary_sheet(Rows(book.sheet(SUMMARY_SHEET), SUMMARY_WIDTHS), styles, review, today)
    for unit in review.units:
        _unit_sheet(Rows(book.sheet(sheet_title(unit)), DETAIL_WIDTHS), styles, unit)


def _header(titles: tuple[str, ...], styles: Styles) -> list[CellValue]:
    return [Cell(str(title), styles.header) for title in titles]


def _summary_sheet(sheet: Rows, styles: Styles, review: Review, today: dt.date) -> None:
    sheet.append([Cell(TITLE, styles.bold)])
    sheet.append(
        [
            "Lập ngày",
            today.strftime("%d/%m/%Y"),
            "Đơn giá tham khảo tại ngày",
            review.baseline.prices_as_of.strftime("%d/%m/%Y"),
        ]
    )
    sheet.append([])
    sheet.append(_header(SUMMARY_COLUMNS, styles))
    for number, unit in enumerate(review.units, start=1):
        sheet.append(
            [
                number,
                unit.site.code,
                unit.site.name,
                unit.district,
                str(unit.status),
                len(unit.gaps),
                ", ".join(gap.requirement.id for gap in unit.gaps),
                Cell(unit.one_off, styles.money),
                Cell(unit.yearly, styles.money),
            ]
        )
    sheet.append([])
    sheet.append([Cell("Tổng theo huyện cũ (đơn vị tính theo huyện cũ đầu tiên)", styles.bold)])
    sheet.append(_header(DISTRICT_COLUMNS, styles))
    for name, totals in review.by_district().items():
        sheet.append(_totals_row(name, totals, None, styles.money))
    sheet.append(_totals_row("Toàn tỉnh", review.province, styles.bold, styles.bold_money))


def _totals_row(name: str, totals: Totals, text: Format | None, money: Format) -> list[CellValue]:
    return [
        Cell(name, text),
        Cell(totals.units, text),
        *(Cell(totals.statuses[status], text) for status in STATUS_ORDER),
        Cell(totals.one_off, money),
        Cell(totals.yearly, money),
    ]


def _unit_sheet(sheet: Rows, styles: Styles, unit: UnitAssessment) -> None:
    sheet.append([Cell(unit.site.name, styles.bold)])
    sheet.append(["Mã đơn vị hành chính", unit.site.code])
    sheet.append(["Huyện cũ", "; ".join(unit.site.former_districts)])
    date = unit.survey_date
    sheet.append(["Ngày khảo sát", date.strftime("%d/%m/%Y") if date else "chưa khảo sát"])
    sheet.append(["Trạng thái", Cell(str(unit.status), styles.bold)])
    sheet.append([])
    if unit.status is Status.NOT_SURVEYED:
        sheet.append(["Đơn vị chưa gửi phiếu khảo sát: chưa đánh giá được."])
        return
    if not unit.gaps:
        sheet.append(["Đáp ứng tất cả các yêu cầu: không cần đầu tư."])
        return
    sheet.append(_header(DETAIL_COLUMNS, styles))
    for gap in unit.gaps:
        requirement = gap.requirement
        first = [requirement.id, requirement.title, LEVELS[requirement.level], describe(gap)]
        for index, line in enumerate(gap.costs):
            sheet.append(
                [
                    *(first if index == 0 else [None] * 4),
                    line.price.title,
                    line.quantity,
                    line.price.unit,
                    Cell(line.price.unit_price_vnd, styles.money),
                    Cell(line.amount, styles.money),
                    "hằng năm" if line.price.recurring else None,
                ]
            )
        if not gap.costs:
            sheet.append([*first, None, None, None, None, Cell(0, styles.money), _note(gap)])
    sheet.append([])
    for label, amount in (
        ("Cộng đầu tư một lần", unit.one_off),
        ("Cộng chi phí hằng năm", unit.yearly),
    ):
        sheet.append([Cell(label, styles.bold), *[None] * 7, Cell(amount, styles.bold_money)])


def _note(gap: Gap) -> str:
    if gap.counted_in:
        return "đã tính ở " + ", ".join(gap.counted_in)
    return "không khắc phục được bằng mua sắm"


# ---- html ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    text: str  # the value as printed beside the bar
    fraction: float  # of the longest bar
    colour: str = "1F4E79"


def _bars(rows: list[tuple[str, int, str]], colours: list[str] | None = None) -> list[Bar]:
    longest = max((value for _, value, _ in rows), default=0) or 1
    return [
        Bar(label, value, text, value / longest, colours[i] if colours else "1F4E79")
        for i, (label, value, text) in enumerate(rows)
    ]


def proposal_html(review: Review, today: dt.date, top_gaps: int = 10) -> str:
    province = review.province
    districts = review.by_district()
    charts = {
        "status": _bars(
            [(str(s), province.statuses[s], str(province.statuses[s])) for s in STATUS_ORDER],
            [STATUS_COLOURS[s] for s in STATUS_ORDER],
        ),
        "districts": _bars(
            [(name, t.one_off, format_vnd(t.one_off)) for name, t in districts.items()]
        ),
        "gaps": _bars(
            [(" ".join((r.id, r.title)), n, str(n)) for r, n in review.gap_counts()[:top_gaps]]
        ),
    }
    return render(
        "reports/readiness/report.html.j2",
        review=review,
        province=province,
        districts=districts,
        charts=charts,
        statuses=STATUS_ORDER,
        colours=STATUS_COLOURS,
        levels=LEVELS,
        describe=describe,
        note=_note,
        title=TITLE,
        today=today,
    )
