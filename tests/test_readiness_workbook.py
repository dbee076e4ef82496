"""The readiness workbook as Excel will show it, read back with openpyxl: a summary sheet and
one sheet per unit, bold headers on a fill, amounts in the money format, column widths; text
stays text; it is replaced whole or not at all. And the thin binding to libxlsxwriter
(tcd.readiness.xlsx): its refusals are exceptions, never a crash or a warning on stderr."""

import datetime as dt
import resource
from pathlib import Path

import openpyxl
import pytest

from tcd.loading import load_inventory
from tcd.readiness import report, xlsx
from tcd.readiness.assess import Status, review
from tcd.readiness.report import (
    DETAIL_WIDTHS,
    MONEY,
    SUMMARY_SHEET,
    SUMMARY_WIDTHS,
    TITLE,
    WORKBOOK_NAME,
    Rows,
    sheet_title,
    write_reports,
)

from .conftest import INVENTORY
from .test_readiness import DEMO

TODAY = dt.date(2025, 11, 3)
HEADER_FILL = "FFDDEBF7"


@pytest.fixture
def written(tcd, inventory_copy, tmp_path):
    """The review of the demo surveys and its workbook, read back."""
    assert tcd("survey", "import", "--replace-planned", *DEMO).exit_code == 0
    result = review(load_inventory(inventory_copy))
    path, _ = write_reports(result, tmp_path / "out", TODAY)
    return result, openpyxl.load_workbook(path)


def shown_widths(sheet, columns: int) -> list[float]:
    """The first columns' widths as Excel shows them: the stored width less its 5 pixels of
    padding (7 pixels a character), which libxlsxwriter adds as Excel does. One <col> element
    may cover several columns of the same width."""
    stored = {}
    for dimension in sheet.column_dimensions.values():
        for index in range(dimension.min, dimension.max + 1):
            stored[index] = dimension.width
    return [round(stored[index] - 5 / 7, 1) for index in range(1, columns + 1)]


def is_header(cell) -> bool:
    return cell.font.b and cell.fill.fill_type == "solid" and cell.fill.fgColor.rgb == HEADER_FILL


def test_a_summary_then_one_sheet_per_unit_in_order(written):
    result, workbook = written
    assert workbook.sheetnames == [SUMMARY_SHEET, *(sheet_title(u) for u in result.units)]
    assert len(workbook.sheetnames) == 1 + 95


def test_summary_styles_and_widths(written):
    result, workbook = written
    summary = workbook[SUMMARY_SHEET]
    assert summary["A1"].value == TITLE and summary["A1"].font.b
    assert summary["A2"].value == "Lập ngày" and summary["B2"].value == "03/11/2025"
    assert all(is_header(cell) for cell in summary[4])
    first = summary[5]
    assert (first[0].value, first[1].value) == (1, result.units[0].site.code)
    assert not first[2].font.b and first[2].number_format == "General"
    assert first[7].number_format == first[8].number_format == MONEY
    total = next(row for row in summary.iter_rows() if row[0].value == "Toàn tỉnh")
    assert all(cell.font.b for cell in total[:8])
    assert total[6].number_format == total[7].number_format == MONEY
    assert (total[6].value, total[7].value) == (result.province.one_off, result.province.yearly)
    assert shown_widths(summary, 9) == list(SUMMARY_WIDTHS)


def test_unit_sheets_styles_and_widths(written):
    result, workbook = written
    units = {u.site.code: u for u in result.units}
    detail = workbook[sheet_title(units[25217])]
    assert detail["A1"].value == units[25217].site.name and detail["A1"].font.b
    assert detail["B5"].value == str(Status.UPGRADE) and detail["B5"].font.b
    assert all(is_header(cell) for cell in detail[7])
    first_gap = detail[8]
    assert first_gap[7].number_format == first_gap[8].number_format == MONEY
    assert not first_gap[7].font.b
    one_off = next(row for row in detail.iter_rows() if row[0].value == "Cộng đầu tư một lần")
    assert one_off[0].font.b and one_off[8].font.b and one_off[8].number_format == MONEY
    assert one_off[8].value == units[25217].one_off
    assert shown_widths(detail, 10) == list(DETAIL_WIDTHS)

    not_surveyed = next(u for u in result.units if u.status is Status.NOT_SURVEYED)
    rows = list(workbook[sheet_title(not_surveyed)].iter_rows(values_only=True))
    assert rows[-1][0] == "Đơn vị chưa gửi phiếu khảo sát: chưa đánh giá được."


def test_text_stays_text(tmp_path):
    """Surveyed text is never made a formula or a link."""
    path = tmp_path / "t.xlsx"
    with xlsx.workbook(path) as book:
        Rows(book.sheet("x"), ()).append(["=1+1", "http://example.com", 7, None])
    sheet = openpyxl.load_workbook(path)["x"]
    assert [(cell.value, cell.data_type) for cell in sheet[1][:3]] == [
        ("=1+1", "s"),
        ("http://example.com", "s"),
        (7, "n"),
    ]
    assert not sheet._hyperlinks


def test_a_failed_write_leaves_the_previous_workbook(tmp_path, monkeypatch):
    result = review(load_inventory(INVENTORY))
    path, _ = write_reports(result, tmp_path, TODAY)
    before = path.read_bytes()

    def fail(*args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(report, "_unit_sheet", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        write_reports(result, tmp_path, dt.date(2026, 1, 1))
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([WORKBOOK_NAME, report.HTML_NAME])


def test_many_sheets_do_not_need_a_file_open_each(tmp_path):
    """A constant-memory mode keeps a file open per sheet: a province's thousands of units
    would exceed the usual limit of 1,024 open files."""
    result = review(load_inventory(INVENTORY))  # 96 sheets
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    already_open = len(list(Path("/proc/self/fd").iterdir()))
    resource.setrlimit(resource.RLIMIT_NOFILE, (already_open + 40, hard))
    try:
        path, _ = write_reports(result, tmp_path, TODAY)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert len(openpyxl.load_workbook(Path(path), read_only=True).sheetnames) == 96


def test_sheet_titles_are_checked_as_excel_does(tmp_path, capfd):
    """Case is ignored in any script (the library alone only ignores ASCII case); the
    library's own checks (length, characters) are exceptions, not warnings on stderr."""
    with xlsx.workbook(tmp_path / "t.xlsx") as book:
        book.sheet("26380 Long Hưng")
        for bad in ("26380 LONG HƯNG", "26380 long hưng"):
            with pytest.raises(xlsx.XlsxError, match="already used"):
                book.sheet(bad)
        with pytest.raises(xlsx.XlsxError, match="invalid character"):
            book.sheet("a/b")
        with pytest.raises(xlsx.XlsxError, match="31 characters"):
            book.sheet("x" * 32)
    assert openpyxl.load_workbook(tmp_path / "t.xlsx").sheetnames == ["26380 Long Hưng"]
    assert capfd.readouterr().err == ""


def test_a_closed_workbook_refuses_writes_and_formats_stay_in_their_workbook(tmp_path):
    """The library frees a workbook's sheets and formats when it is closed: writing to one
    afterwards, or with a format of another workbook, must be an exception, never a write
    into freed or foreign memory."""
    with xlsx.workbook(tmp_path / "t.xlsx") as book:
        sheet, bold = book.sheet("x"), book.format(bold=True)
        with (
            xlsx.workbook(tmp_path / "u.xlsx") as other,
            pytest.raises(xlsx.XlsxError, match="a format of another workbook"),
        ):
            other.sheet("y").write_row(0, [xlsx.Cell(1, bold)])
        book.close()
        with pytest.raises(xlsx.XlsxError, match="closed"):
            sheet.write_row(0, ["late"])
        with pytest.raises(xlsx.XlsxError, match="closed"):
            book.sheet("y")
    assert openpyxl.load_workbook(tmp_path / "t.xlsx").sheetnames == ["x"]
    with (
        xlsx.workbook(tmp_path / "v.xlsx") as third,
        pytest.raises(xlsx.XlsxError, match="a format of another workbook"),
    ):
        third.sheet("z").write_row(0, [xlsx.Cell("late", bold)])


def test_a_cell_the_library_refuses_is_named(tmp_path):
    with xlsx.workbook(tmp_path / "t.xlsx") as book:
        sheet = book.sheet("x")
        with pytest.raises(xlsx.XlsxError, match=r"sheet .x., row 2, column 1: .*32,767"):
            sheet.write_row(1, ["x" * 32768])
        with pytest.raises(xlsx.XlsxError, match=r"sheet 'x', row 1, column 2: NUL in text"):
            sheet.write_row(0, ["fine", "cut\0here"])


@pytest.fixture
def library_missing(monkeypatch):
    """The library missing, simulated by a name no system has (the edge we do not own)."""
    monkeypatch.setattr(xlsx, "LIBRARY", "libxlsxwriter-missing.so.0")
    xlsx.library.cache_clear()
    yield
    xlsx.library.cache_clear()


def test_without_the_library_one_line_names_the_package(library_missing):
    with pytest.raises(xlsx.XlsxError, match="install the Debian/Ubuntu package libxlsxwriter4"):
        xlsx.library()


def test_readiness_without_the_library_says_so_in_one_line(tcd, library_missing, tmp_path):
    """Exit 1, one line, no traceback, no file."""
    result = tcd("readiness", "-i", str(INVENTORY), "-o", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: the workbook was not written: libxlsxwriter-missing.so.0 not found: install the"
        " Debian/Ubuntu package libxlsxwriter4 (./dev setup does)"
    ]
    assert not (tmp_path / "out" / WORKBOOK_NAME).exists()
