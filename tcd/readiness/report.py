"""The proposal for the Province, from a Review: an xlsx workbook and an HTML report.

The workbook has a summary sheet (every unit, its status, gaps and cost; totals per former
district and for the province) and one sheet per unit with the detail. The HTML report
(templates/reports/readiness/) has the same totals and three charts drawn as inline SVG, so it
opens offline. Both are in Vietnamese; amounts are VND.
"""

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from tcd.readiness.assess import Gap, Review, Status, UnitAssessment
from tcd.render import render, write_atomically
from tcd.survey.template import workbook_bytes
from tcd.text import format_vnd

WORKBOOK_NAME = "ra-soat-san-sang.xlsx"
HTML_NAME = "ra-soat-san-sang.html"
SUMMARY_SHEET = "Tổng hợp"
TITLE = "Tổng hợp rà soát cơ sở vật chất, trang thiết bị phục vụ tiếp công dân trực tuyến"
MONEY = '#,##0 "₫"'
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
BOLD = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


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
    # reports are for sharing: readable by all, like any document
    write_atomically(workbook_path, workbook_bytes(proposal_workbook(review, today)), 0o644)
    write_atomically(html_path, proposal_html(review, today), 0o644)
    return workbook_path, html_path


# ---- xlsx ------------------------------------------------------------------------------------


def proposal_workbook(review: Review, today: dt.date) -> Workbook:
    # write-only: rows are streamed, which keeps thousands of unit sheets fast
    workbook = Workbook(write_only=True)
    summary = workbook.create_sheet(SUMMARY_SHEET)
    _summary_sheet(summary, review, today)
    for unit in review.units:
        _unit_sheet(workbook.create_sheet(sheet_title(unit)), unit)
    return workbook


def _cell(sheet: WriteOnlyWorksheet, value: Any, bold: bool = False, money: bool = False) -> Any:
    cell = WriteOnlyCell(sheet, value=value)
    if bold:
        cell.font = BOLD
    if money:
        cell.number_format = MONEY
    return cell


def _header(sheet: WriteOnlyWorksheet, titles: tuple[str, ...]) -> list[Any]:
    cells = []
    for title in titles:
        cell = _cell(sheet, str(title), bold=True)
        cell.fill = HEADER_FILL
        cells.append(cell)
    return cells


def _summary_sheet(sheet: WriteOnlyWorksheet, review: Review, today: dt.date) -> None:
    for column, width in zip("ABCDEFGHI", (6, 10, 28, 36, 16, 12, 44, 20, 20), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.append([_cell(sheet, TITLE, bold=True)])
    sheet.append(
        [
            "Lập ngày",
            today.strftime("%d/%m/%Y"),
            "Đơn giá tham khảo tại ngày",
            review.baseline.prices_as_of.strftime("%d/%m/%Y"),
        ]
    )
    sheet.append([])
    sheet.append(_header(sheet, SUMMARY_COLUMNS))
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
                _cell(sheet, unit.one_off, money=True),
                _cell(sheet, unit.yearly, money=True),
            ]
        )
    sheet.append([])
    sheet.append([_cell(sheet, "Tổng theo huyện cũ (đơn vị tính theo huyện cũ đầu tiên)", True)])
    sheet.append(_header(sheet, DISTRICT_COLUMNS))
    for name, totals in review.by_district().items():
        sheet.append(_totals_row(sheet, name, totals, bold=False))
    sheet.append(_totals_row(sheet, "Toàn tỉnh", review.province, bold=True))


def _totals_row(sheet: WriteOnlyWorksheet, name: str, totals: Any, bold: bool) -> list[Any]:
    return [
        _cell(sheet, name, bold),
        _cell(sheet, totals.units, bold),
        *(_cell(sheet, totals.statuses[status], bold) for status in STATUS_ORDER),
        _cell(sheet, totals.one_off, bold, money=True),
        _cell(sheet, totals.yearly, bold, money=True),
    ]


def _unit_sheet(sheet: WriteOnlyWorksheet, unit: UnitAssessment) -> None:
    for column, width in zip("ABCDEFGHIJ", (14, 48, 12, 16, 48, 9, 10, 14, 16, 30), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.append([_cell(sheet, unit.site.name, bold=True)])
    sheet.append(["Mã đơn vị hành chính", unit.site.code])
    sheet.append(["Huyện cũ", "; ".join(unit.site.former_districts)])
    date = unit.survey_date
    sheet.append(["Ngày khảo sát", date.strftime("%d/%m/%Y") if date else "chưa khảo sát"])
    sheet.append(["Trạng thái", _cell(sheet, str(unit.status), bold=True)])
    sheet.append([])
    if unit.status is Status.NOT_SURVEYED:
        sheet.append(["Đơn vị chưa gửi phiếu khảo sát: chưa đánh giá được."])
        return
    if not unit.gaps:
        sheet.append(["Đáp ứng tất cả các yêu cầu: không cần đầu tư."])
        return
    sheet.append(_header(sheet, DETAIL_COLUMNS))
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
                    _cell(sheet, line.price.unit_price_vnd, money=True),
                    _cell(sheet, line.amount, money=True),
                    "hằng năm" if line.price.recurring else None,
                ]
            )
        if not gap.costs:
            sheet.append([*first, None, None, None, None, _cell(sheet, 0, money=True), _note(gap)])
    sheet.append([])
    sheet.append(
        [
            _cell(sheet, "Cộng đầu tư một lần", bold=True),
            *[None] * 7,
            _cell(sheet, unit.one_off, bold=True, money=True),
        ]
    )
    sheet.append(
        [
            _cell(sheet, "Cộng chi phí hằng năm", bold=True),
            *[None] * 7,
            _cell(sheet, unit.yearly, bold=True, money=True),
        ]
    )


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
