"""The blank survey workbook a unit fills (`tcd survey template`), built from layout.py."""

import io
import secrets

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from tcd.model.site import Site
from tcd.survey.layout import (
    DEMO_LABEL,
    HEADER_ROW,
    IDENTITY,
    IDENTITY_LOCKED,
    INSTRUCTIONS,
    SHEETS,
    TEMPLATE_VERSION,
    Answer,
    FormSheet,
    Kind,
    TableSheet,
)

BOLD = Font(bold=True)
HEADING = Font(bold=True, size=14)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
ANSWER_FILL = PatternFill("solid", fgColor="FFF2CC")
LOCKED_FILL = PatternFill("solid", fgColor="E7E6E6")
UNLOCKED = Protection(locked=False)

GUIDE = (
    "PHIẾU KHẢO SÁT HIỆN TRẠNG CƠ SỞ VẬT CHẤT, TRANG THIẾT BỊ CÔNG NGHỆ THÔNG TIN",
    "phục vụ tiếp công dân trực tuyến (Công văn 5896/UBND-TCD ngày 23/9/2025)",
    "",
    "Cách điền:",
    "1. Điền vào các ô màu vàng ở từng trang: Đơn vị, Máy tính, Camera, Âm thanh, Màn hình,"
    " Mạng, Phòng và điện.",
    "2. Ô có dấu * là bắt buộc. Ô có danh sách: chọn một giá trị trong danh sách.",
    "3. Ghi số không kèm chữ nếu được (ví dụ RAM ghi 8); ghi ngày theo ngày/tháng/năm.",
    "4. Máy tính, camera, màn hình: mỗi dòng một loại thiết bị; để trống các dòng thừa.",
    "5. Không sửa các ô màu xám (mã, tên đơn vị, phiên bản mẫu), không đổi tên hay thêm trang.",
    "6. Gửi lại tệp cho Sở Khoa học và Công nghệ; Sở nhập phiếu bằng lệnh `tcd survey import`.",
)


def survey_template(site: Site | None, demo: bool = False, password: str | None = None) -> Workbook:
    """The workbook for `site` (its identity filled and locked), or a blank one where the unit
    types its own code. `demo` labels every sheet as synthetic demo data.

    Its sheets and structure are protected so a clerk cannot delete or insert a row (which
    would move every answer below it) or a sheet. The password is random per workbook and kept
    nowhere (the workbook holds only Excel's hash of it): protection is a guard against
    accidents, not the check — the import compares every label with this template and refuses
    a shifted sheet on its own. `password` is for tests."""
    password = password or secrets.token_urlsafe(18)
    workbook = Workbook()
    guide = workbook.active
    assert guide is not None
    guide.title = INSTRUCTIONS
    _write_guide(guide, demo)
    for sheet in SHEETS:
        worksheet = workbook.create_sheet(sheet.title)
        if demo:
            worksheet["E1"] = DEMO_LABEL
            worksheet["E1"].font = Font(bold=True, color="C00000")
        if isinstance(sheet, FormSheet):
            _write_form(worksheet, sheet)
        else:
            _write_table(worksheet, sheet)
        _protect(worksheet, password)
    _protect(guide, password)
    workbook.security = WorkbookProtection(workbookPassword=password, lockStructure=True)
    _write_identity(workbook[IDENTITY.title], site)
    return workbook


def _protect(sheet: Worksheet, password: str) -> None:
    """Answer cells are unlocked; labels, headings and rows are not."""
    sheet.protection.sheet = True
    sheet.protection.deleteRows = sheet.protection.insertRows = True  # True: not allowed
    sheet.protection.deleteColumns = sheet.protection.insertColumns = True
    sheet.protection.password = password  # stored as Excel's hash only


def workbook_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _write_guide(sheet: Worksheet, demo: bool) -> None:
    lines = (DEMO_LABEL, *GUIDE) if demo else GUIDE
    for row, line in enumerate(lines, start=1):
        sheet.cell(row=row, column=1, value=line or None)
    sheet["A1"].font = Font(bold=True, size=14, color="C00000" if demo else None)
    sheet.column_dimensions["A"].width = 110


def _write_form(sheet: Worksheet, form: FormSheet) -> None:
    sheet["A1"] = form.heading
    sheet["A1"].font = HEADING
    sheet["A2"] = "Điền vào cột Trả lời (ô màu vàng); ô có dấu * là bắt buộc."
    for column, title in zip("ABC", ("Nội dung", "Trả lời", "Ghi chú"), strict=True):
        _header(sheet, f"{column}{HEADER_ROW}", title)
    for answer in form.answers:
        row = form.row(answer.target)
        sheet.cell(row=row, column=1, value=answer.title)
        sheet.cell(row=row, column=3, value=answer.hint or None)
        _answer_cells(sheet, f"B{row}", answer)
    for column, width in zip("ABC", (42, 34, 48), strict=True):
        sheet.column_dimensions[column].width = width


def _write_table(sheet: Worksheet, table: TableSheet) -> None:
    sheet["A1"] = table.heading
    sheet["A1"].font = HEADING
    sheet["A2"] = "Mỗi dòng một thiết bị (hoặc một loại máy giống nhau); để trống các dòng thừa."
    last = table.rows - 1
    for answer in table.answers:
        column = table.column(answer.key)
        _header(sheet, f"{column}{HEADER_ROW}", answer.title)
        cells = f"{table.cell(answer.key, 0)}:{table.cell(answer.key, last)}"
        _answer_cells(sheet, cells, answer)
        sheet.column_dimensions[column].width = 18 if answer.kind is not Kind.TEXT else 26


def _write_identity(sheet: Worksheet, site: Site | None) -> None:
    values: dict[str, object] = {"template": TEMPLATE_VERSION}
    if site is not None:
        values |= {
            "code": site.code,
            "name": site.name,
            "former_district": "; ".join(site.former_districts),
        }
    for key in IDENTITY_LOCKED:
        cell = sheet[IDENTITY.cell(key)]
        cell.value = values.get(key)
        if site is not None or key == "template":
            cell.protection = Protection(locked=True)
            cell.fill = LOCKED_FILL


def _header(sheet: Worksheet, ref: str, title: str) -> None:
    cell = sheet[ref]
    cell.value = title
    cell.font = BOLD
    cell.fill = HEADER_FILL
    cell.alignment = Alignment(wrap_text=True, vertical="top")


def _answer_cells(sheet: Worksheet, cells: str, answer: Answer) -> None:
    for row in sheet[cells] if ":" in cells else ((sheet[cells],),):
        for cell in row:
            cell.protection = UNLOCKED
            cell.fill = ANSWER_FILL
            if answer.kind is Kind.DATE:
                cell.number_format = "DD/MM/YYYY"
    validation = _validation(answer)
    if validation is not None:
        sheet.add_data_validation(validation)
        validation.add(cells)


def _validation(answer: Answer) -> DataValidation | None:
    """Excel's own check as the clerk types: a dropdown, or a number range. A warning, not a
    refusal: what clerks type anyway ("8GB") is normalised at import, which has the last word."""
    if answer.choice is not None:
        validation = DataValidation(
            type="list", formula1='"' + ",".join(answer.choice.labels) + '"', allow_blank=True
        )
    elif answer.kind in {Kind.INT, Kind.DECIMAL, Kind.YEAR}:
        low, high = answer.bounds()
        validation = DataValidation(
            type="whole" if answer.kind is not Kind.DECIMAL else "decimal",
            operator="between",
            formula1=str(low if low is not None else 0),
            formula2=str(high if high is not None else 1_000_000),
            allow_blank=True,
        )
    else:
        return None
    validation.errorStyle = "warning"
    validation.error = "Giá trị ngoài danh sách hoặc ngoài khoảng cho phép."
    validation.errorTitle = answer.label
    validation.showErrorMessage = True
    return validation
