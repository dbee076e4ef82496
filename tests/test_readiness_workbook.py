"""The readiness workbook as Excel will show it, read back with openpyxl: a summary sheet with
the letterhead and the signatures, one sheet per unit, every total a formula saved with its
figure (recalculated here: tests/xlsx_formulas.py), print setup on every sheet, shared units
counted with their share, subtotals per former province and per wave; `--by province`; text
stays text; a workbook is replaced whole or not at all, and one that cannot be written is one
line naming it."""

import datetime as dt
import resource
import shutil
from fractions import Fraction
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner
from xlsxwriter import Workbook

from tcd.cli.main import app
from tcd.loading import load_inventory
from tcd.readiness import report
from tcd.readiness import workbook as sheets
from tcd.readiness.assess import Status, review
from tcd.readiness.report import (
    HTML_NAME,
    NATIONAL_NAME,
    WORKBOOK_NAME,
    province_file,
    write_reports,
)
from tcd.readiness.wording import (
    MOTTO,
    NATION,
    SIGN_HERE,
    SIGNERS,
    STATUS_ORDER,
    TITLE,
    Letterhead,
    province_label,
)
from tcd.readiness.workbook import (
    DETAIL_WIDTHS,
    FOOTER,
    MONEY,
    SUMMARY_SHEET,
    SUMMARY_WIDTHS,
    Sheet,
    sheet_title,
)

from .conftest import INVENTORY, replace_in
from .test_readiness import DEMO
from .xlsx_formulas import Recalculation

TODAY = dt.date(2025, 11, 3)
HEADER_FILL = "FFDDEBF7"
LETTERHEAD = Letterhead("UBND THÀNH PHỐ ĐỒNG NAI", None, "Đồng Nai")
BIEN_HOA = "Thành phố Biên Hòa (Đồng Nai)"
TRANG_BOM = "Huyện Trảng Bom (Đồng Nai)"


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """The review of the demo surveys and its workbook, written once for the module."""
    root = tmp_path_factory.mktemp("written")
    shutil.copytree(INVENTORY, root / "inventory")
    imported = CliRunner().invoke(
        app, ["survey", "import", "-i", str(root / "inventory"), "--replace-planned", *DEMO]
    )
    assert imported.exit_code == 0, imported.output
    result = review(load_inventory(root / "inventory"))
    path, _ = write_reports(result, root / "out", TODAY, LETTERHEAD)
    return result, path


@pytest.fixture(scope="module")
def read(written):
    """The workbook read back: formulas (as openpyxl keeps them) and the saved figures.
    Shared: a test that changes the workbook reads its own copy."""
    result, path = written
    return result, openpyxl.load_workbook(path), openpyxl.load_workbook(path, data_only=True)


def shown_widths(sheet, columns: int) -> list[float]:
    """The first columns' widths as Excel shows them: the stored width less its 5 pixels of
    padding (7 pixels a character), which XlsxWriter adds as Excel does. One <col> element
    may cover several columns of the same width."""
    stored = {}
    for dimension in sheet.column_dimensions.values():
        for index in range(dimension.min, dimension.max + 1):
            stored[index] = dimension.width
    return [round(stored[index] - 5 / 7, 1) for index in range(1, columns + 1)]


def is_header(cell) -> bool:
    return cell.font.b and cell.fill.fill_type == "solid" and cell.fill.fgColor.rgb == HEADER_FILL


def row_of(sheet, label: str) -> int:
    """The first row whose column A says `label`."""
    return next(row[0].row for row in sheet.iter_rows() if row[0].value == label)


def figures(sheet, row: int) -> list:
    """A totals row's figures: units, the four statuses, one-off, yearly (columns D:J)."""
    return [sheet.cell(row, column).value for column in range(4, 11)]


def expected(totals) -> list:
    return [
        totals.units,
        *(totals.statuses[status] for status in STATUS_ORDER),
        totals.one_off,
        totals.yearly,
    ]


def test_a_summary_then_one_sheet_per_unit_in_order(read):
    result, workbook, _ = read
    assert workbook.sheetnames == [SUMMARY_SHEET, *(sheet_title(u) for u in result.units)]
    assert len(workbook.sheetnames) == 1 + 95


def test_letterhead_title_and_signatures(read):
    _, workbook, _ = read
    summary = workbook[SUMMARY_SHEET]
    assert (summary["A1"].value, summary["F1"].value) == ("UBND THÀNH PHỐ ĐỒNG NAI", NATION)
    assert summary["A1"].font.b and summary["F2"].value == MOTTO
    assert summary["F3"].value == "Đồng Nai, ngày 03 tháng 11 năm 2025"
    assert summary["A5"].value == TITLE.upper() and summary["A5"].font.b
    assert "A5:K5" in {str(merged) for merged in summary.merged_cells.ranges}
    assert summary["A6"].value.startswith("Đơn giá tham khảo tại ngày 01/10/2025")
    signers = summary.max_row - 1
    assert (summary.cell(signers, 2).value, summary.cell(signers, 8).value) == SIGNERS
    assert summary.cell(signers + 1, 2).value == summary.cell(signers + 1, 8).value == SIGN_HERE


def test_the_date_line_and_an_issuing_department(tcd, inventory_copy, tmp_path):
    """Days below 10 and months below 3 take a leading zero; a department named in
    province.yml is the issuer, in bold under the People's Committee."""
    assert LETTERHEAD.dated(dt.date(2026, 1, 5)) == "Đồng Nai, ngày 05 tháng 01 năm 2026"
    assert LETTERHEAD.dated(dt.date(2026, 3, 15)) == "Đồng Nai, ngày 15 tháng 3 năm 2026"
    replace_in(
        inventory_copy / "province.yml",
        "  timezone: Asia/Ho_Chi_Minh\n",
        "  timezone: Asia/Ho_Chi_Minh\n  issuing_office: Sở Khoa học và Công nghệ\n",
    )
    assert tcd("readiness", "-o", str(tmp_path / "out")).exit_code == 0
    summary = openpyxl.load_workbook(tmp_path / "out" / WORKBOOK_NAME)[SUMMARY_SHEET]
    assert summary["A1"].value == "UBND THÀNH PHỐ ĐỒNG NAI" and not summary["A1"].font.b
    assert summary["A2"].value == "SỞ KHOA HỌC VÀ CÔNG NGHỆ" and summary["A2"].font.b
    assert summary["F3"].value == LETTERHEAD.dated(dt.date.today())


def test_print_setup_on_every_sheet(read):
    """A4 landscape, one page wide, the table's header row on every page, page numbers."""
    result, workbook, _ = read
    for sheet in workbook.worksheets:
        assert sheet.page_setup.paperSize == 9 and sheet.page_setup.orientation == "landscape"
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert sheet.page_setup.fitToWidth in (None, 1)  # 1 is the default, left out
        assert sheet.page_setup.fitToHeight == 0
        assert sheet.oddFooter.center.text == FOOTER.removeprefix("&C") == "Trang &P / &N"
    summary = workbook[SUMMARY_SHEET]
    assert summary.print_title_rows == "$8:$8" and summary["A8"].value == "STT"
    units = {u.site.code: u for u in result.units}
    detail = workbook[sheet_title(units[26005])]
    assert detail.print_title_rows == "$8:$8" and detail["A8"].value == "Mã yêu cầu"
    # a sheet without a table has no header to repeat (it is one page)
    assert workbook[sheet_title(units[26380])].print_title_rows is None


def test_summary_styles_and_widths(read):
    result, workbook, _ = read
    summary = workbook[SUMMARY_SHEET]
    assert all(is_header(cell) for cell in summary[8][:10])
    first = summary[9]
    assert (first[0].value, first[1].value) == (1, result.units[0].site.code)
    assert not first[2].font.b and first[2].number_format == "General"
    assert first[8].number_format == first[9].number_format == MONEY
    total = summary[row_of(summary, "Toàn tỉnh")]
    assert all(cell.font.b for cell in (total[0], *total[3:10]))  # B:C are merged into A
    assert total[8].number_format == total[9].number_format == MONEY
    assert shown_widths(summary, 11) == list(SUMMARY_WIDTHS)


def test_unit_sheets_lines_and_totals_are_formulas(read):
    result, workbook, figures_only = read
    unit = next(u for u in result.units if u.site.code == 25217)
    detail, saved = workbook[sheet_title(unit)], figures_only[sheet_title(unit)]
    assert detail["A1"].value == unit.site.name and detail["A1"].font.b
    assert detail["B6"].value == str(Status.UPGRADE) and detail["B6"].font.b
    assert all(is_header(cell) for cell in detail[8])
    lines = [line for gap in unit.gaps for line in gap.costs]
    rows = [row for row in detail.iter_rows(min_row=9) if row[5].value is not None]
    assert len(rows) == len(lines)
    for row, line in zip(rows, lines, strict=True):
        number = row[0].row
        assert row[8].value == f"=F{number}*H{number}"
        assert saved.cell(number, 9).value == line.amount
        assert row[7].number_format == row[8].number_format == MONEY and not row[8].font.b
    one_off, yearly = row_of(detail, "Cộng đầu tư một lần"), row_of(detail, "Cộng chi phí hằng năm")
    assert detail.cell(one_off, 9).value.startswith("=SUMIF($J$9:$J$")
    assert '"<>hằng năm"' in detail.cell(one_off, 9).value
    assert '"hằng năm"' in detail.cell(yearly, 9).value
    assert detail.cell(one_off, 9).font.b and detail.cell(one_off, 9).number_format == MONEY
    assert saved.cell(one_off, 9).value == unit.one_off
    assert saved.cell(yearly, 9).value == unit.yearly
    assert shown_widths(detail, 10) == list(DETAIL_WIDTHS)

    not_surveyed = next(u for u in result.units if u.status is Status.NOT_SURVEYED)
    rows = list(workbook[sheet_title(not_surveyed)].iter_rows(values_only=True))
    assert rows[7][0] == "Đơn vị chưa gửi phiếu khảo sát: chưa đánh giá được."


def test_summary_takes_each_unit_from_its_sheet(read):
    result, workbook, figures_only = read
    summary, saved = workbook[SUMMARY_SHEET], figures_only[SUMMARY_SHEET]
    rows = {row[1].value: row for row in summary.iter_rows(min_row=9, max_row=8 + 95)}
    assert len(rows) == 95
    for unit in result.units:
        row = rows[unit.site.code]
        title = sheet_title(unit)
        assert row[8].value.startswith(f"='{title}'!$I$")
        assert row[9].value.startswith(f"='{title}'!$I$")
        assert (row[4].value, row[5].value) == (unit.wave, str(unit.status))
        assert saved.cell(row[0].row, 9).value == unit.one_off
        assert saved.cell(row[0].row, 10).value == unit.yearly


def test_every_formula_gives_its_saved_figure(read):
    """What Excel will compute is what the review found, in every formula of the workbook."""
    _, workbook, figures_only = read
    recalculated = Recalculation(workbook)
    count = 0
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    saved = figures_only[sheet.title][cell.coordinate].value
                    assert recalculated.value(sheet.title, cell.coordinate) == pytest.approx(
                        saved
                    ), (sheet.title, cell.coordinate, cell.value)
                    count += 1
    assert count > 400


def test_an_edited_unit_price_retotals_everything_above_it(written):
    """Hố Nai (26005) spans Biên Hòa and Trảng Bom: a display 1,000,000 ₫ dearer adds it to the
    unit, half of it to each district, and all of it to Đồng Nai's subtotal, its wave and the
    province."""
    result, path = written
    workbook = openpyxl.load_workbook(path)  # its own copy: it is edited
    unit = next(u for u in result.units if u.site.code == 26005)
    detail = workbook[sheet_title(unit)]
    summary = workbook[SUMMARY_SHEET]
    display = next(row for row in detail.iter_rows() if row[0].value == "RDY-DSP-001")
    cells = {
        "unit": (detail.title, f"I{row_of(detail, 'Cộng đầu tư một lần')}"),
        "summary": (summary.title, f"I{row_of(summary, 'Toàn tỉnh')}"),
        "biên hòa": (summary.title, f"I{row_of(summary, BIEN_HOA)}"),
        "trảng bom": (summary.title, f"I{row_of(summary, TRANG_BOM)}"),
        "đồng nai": (summary.title, f"I{row_of(summary, 'Cộng ' + province_label('Đồng Nai'))}"),
        "bình phước": (
            summary.title,
            f"I{row_of(summary, 'Cộng ' + province_label('Bình Phước'))}",
        ),
        "wave": (summary.title, f"I{row_of(summary, unit.wave)}"),
    }
    before = Recalculation(workbook)
    was = {name: before.value(*cell) for name, cell in cells.items()}
    display[7].value += 1_000_000
    after = Recalculation(workbook)
    added = {name: after.value(*cell) - was[name] for name, cell in cells.items()}
    assert added == {
        "unit": 1_000_000,
        "summary": 1_000_000,
        "biên hòa": 500_000,
        "trảng bom": 500_000,
        "đồng nai": 1_000_000,
        "bình phước": 0,
        "wave": 1_000_000,
    }


def test_a_unit_of_two_districts_counts_half_in_each(read):
    result, workbook, figures_only = read
    unit = next(u for u in result.units if u.site.code == 26005)
    assert unit.districts == {BIEN_HOA: Fraction(1, 2), TRANG_BOM: Fraction(1, 2)}
    assert unit.status is Status.NOT_MET and unit.one_off > 0
    districts = result.by_district()
    assert (unit, Fraction(1, 2)) in districts[TRANG_BOM].shared
    summary, saved = workbook[SUMMARY_SHEET], figures_only[SUMMARY_SHEET]
    row = row_of(summary, TRANG_BOM)
    assert figures(saved, row) == pytest.approx(expected(districts[TRANG_BOM]))
    assert saved.cell(row, 7).value == 0.5  # Chưa đáp ứng: half of Hố Nai
    assert "26005 Phường Hố Nai (1/2)" in summary.cell(row, 11).value
    assert summary.cell(row, 9).value.startswith("=SUMIF($D$9:$D$103,$A$")
    # the table of shared units states each share and takes its part of the unit's cost
    shared = [
        r for r in summary.iter_rows(min_row=104) if r[1].value == 26005 and r[4].value == 0.5
    ]
    assert [r[3].value for r in shared] == [BIEN_HOA, TRANG_BOM]
    assert shared[0][4].number_format == "?/?"
    unit_row = next(r[0].row for r in summary.iter_rows(max_row=103) if r[1].value == 26005)
    assert shared[0][8].value == f"=E{shared[0][0].row}*I{unit_row}"
    assert saved.cell(shared[0][0].row, 9).value == unit.one_off / 2


def test_province_and_wave_subtotals_add_up_to_the_province(read):
    result, workbook, figures_only = read
    summary, saved = workbook[SUMMARY_SHEET], figures_only[SUMMARY_SHEET]
    whole = figures(saved, row_of(summary, "Toàn tỉnh"))
    assert whole == expected(result.province)
    assert whole[0] == 95 and whole[5] == sum(u.one_off for u in result.units) > 0
    provinces = result.by_province()
    assert list(provinces) == ["Bình Phước", "Đồng Nai"]
    subtotals = []
    for name, totals in provinces.items():
        row = row_of(summary, f"Cộng {province_label(name)}")
        assert summary.cell(row, 4).value.startswith("=SUM($D$")
        subtotals.append(figures(saved, row))
        assert subtotals[-1] == pytest.approx(expected(totals))
    assert [sum(column) for column in zip(*subtotals, strict=True)] == pytest.approx(whole)
    waves = result.by_wave()
    assert list(waves) == ["pilot", "wave-1", "wave-2", "wave-3"]
    rows = [figures(saved, row_of(summary, name)) for name in waves]
    assert [sum(column) for column in zip(*rows, strict=True)] == whole
    pilot = row_of(summary, "pilot")
    assert summary.cell(pilot, 4).value == f"=COUNTIF($E$9:$E$103,$A${pilot})"
    assert saved.cell(pilot, 4).value == 3
    assert summary.cell(pilot, 11).value.startswith("Thí điểm")


def test_by_province_one_workbook_each_and_a_national_summary(tcd, inventory_copy, tmp_path):
    assert tcd("survey", "import", "--replace-planned", *DEMO).exit_code == 0
    out = tmp_path / "out"
    run = tcd("readiness", "-o", str(out), "--by", "province")
    assert run.exit_code == 0, run.stderr
    assert f"wrote {out / NATIONAL_NAME} and beside it 2 workbooks" in run.stdout
    names = {
        "Bình Phước": "ra-soat-san-sang-binh-phuoc.xlsx",
        "Đồng Nai": "ra-soat-san-sang-dong-nai.xlsx",
    }
    assert {province_file(name) for name in names} == set(names.values())
    assert sorted(p.name for p in out.iterdir()) == sorted([NATIONAL_NAME, *names.values()])
    result = review(load_inventory(inventory_copy))
    national = openpyxl.load_workbook(out / NATIONAL_NAME)
    national_saved = openpyxl.load_workbook(out / NATIONAL_NAME, data_only=True)
    assert national.sheetnames == [SUMMARY_SHEET, *names]
    summary, saved = national[SUMMARY_SHEET], national_saved[SUMMARY_SHEET]
    assert summary["F3"].value.startswith("Đồng Nai, ngày ")
    recalculated = Recalculation(national)
    for province, file in names.items():
        totals = result.by_province()[province]
        row = row_of(summary, province_label(province))
        assert summary.cell(row, 4).value == f"='{province}'!$B$9"
        assert summary.cell(row, 11).value == file
        assert figures(saved, row) == pytest.approx(expected(totals))
        assert recalculated.value(SUMMARY_SHEET, f"I{row}") == pytest.approx(totals.one_off)
        sheet = national[province]
        assert sheet.print_title_rows == "$4:$4" and sheet.page_setup.orientation == "landscape"
        assert sheet["B9"].value == "=SUM($B$5:$B$8)"
        # its own workbook: its units, its sheets, its subtotal the same figures
        own = openpyxl.load_workbook(out / file, data_only=True)
        units = [u for u in result.units if province in u.provinces]
        assert own.sheetnames == [SUMMARY_SHEET, *(sheet_title(u) for u in units)]
        own_summary = own[SUMMARY_SHEET]
        subtotal = row_of(own_summary, f"Cộng {province_label(province)}")
        assert figures(own_summary, subtotal) == pytest.approx(expected(totals))
        assert figures(own_summary, row_of(own_summary, "Tổng cộng")) == figures(
            own_summary, subtotal
        )
        assert province_label(province) in own_summary["A6"].value
    total = figures(saved, row_of(summary, "Tổng cộng"))
    assert total == expected(result.province)
    assert summary.cell(row_of(summary, "Tổng cộng"), 9).value == "=SUM($I$9:$I$10)"


def test_by_province_writes_the_same_in_one_process_or_several(tmp_path, monkeypatch):
    """The workbooks are written side by side, one process per core (forked): the same files
    as one process writes, nothing left behind."""
    result = review(load_inventory(INVENTORY))
    written = {}
    for processes in (1, 2):
        monkeypatch.setattr(report, "cores", lambda n=processes: n)
        out = tmp_path / str(processes)
        national, provinces = report.write_by_province(result, out, TODAY, LETTERHEAD)
        assert sorted(p.name for p in out.iterdir()) == sorted(
            [national.name, *(p.name for p in provinces.values())]
        )
        written[processes] = {
            path.name: [
                [cell.value for cell in row]
                for sheet in openpyxl.load_workbook(path).worksheets
                for row in sheet.iter_rows()
            ]
            for path in out.iterdir()
        }
    assert written[1] == written[2]


def test_text_stays_text(tmp_path):
    """Surveyed text is never made a formula, a number or a link."""
    path = tmp_path / "t.xlsx"
    book = Workbook(str(path), sheets.OPTIONS)
    sheet = Sheet(book.add_worksheet("x"), ())
    for column, text in enumerate(["=1+1", "http://example.com", "007"]):
        sheet.text(column, text)
    sheet.number(3, 7)
    book.close()
    read = openpyxl.load_workbook(path)["x"]
    assert [(cell.value, cell.data_type) for cell in read[1][:4]] == [
        ("=1+1", "s"),
        ("http://example.com", "s"),
        ("007", "s"),
        (7, "n"),
    ]
    assert not read._hyperlinks


def test_a_cell_xlsxwriter_would_cut_is_refused(tmp_path):
    book = Workbook(str(tmp_path / "t.xlsx"), sheets.OPTIONS)
    sheet = Sheet(book.add_worksheet("x"), ())
    sheet.skip()
    with pytest.raises(sheets.CellError, match=r"sheet 'x', cell A2: text longer than 32,767"):
        sheet.text(0, "x" * 32768)


def test_a_failed_write_leaves_the_previous_reports(tmp_path, monkeypatch):
    result = review(load_inventory(INVENTORY))
    path, html = write_reports(result, tmp_path, TODAY, LETTERHEAD)
    before = path.read_bytes(), html.read_bytes()

    def fail(*args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(sheets, "_unit_sheet", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        write_reports(result, tmp_path, dt.date(2026, 1, 1), LETTERHEAD)
    assert (path.read_bytes(), html.read_bytes()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([WORKBOOK_NAME, HTML_NAME])
    assert path.stat().st_mode & 0o044 == 0o044  # shareable


def test_a_workbook_that_cannot_be_written_is_one_line_naming_it(tcd, tmp_path):
    """Exit 1, one line naming the file, no traceback, nothing else written."""
    out = tmp_path / "out"
    (out / WORKBOOK_NAME).mkdir(parents=True)  # in the way: renaming onto it fails
    result = tcd("readiness", "-i", str(INVENTORY), "-o", str(out))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: {out / WORKBOOK_NAME} was not written: Is a directory"
    ]
    assert (out / WORKBOOK_NAME).is_dir()
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]  # no temporary file


def test_a_sheet_xlsxwriter_refuses_is_one_line_too(tcd, tmp_path, monkeypatch):
    monkeypatch.setattr(sheets, "sheet_title", lambda unit: "a/b")
    out = tmp_path / "out"
    result = tcd("readiness", "-i", str(INVENTORY), "-o", str(out), "--by", "province")
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: {out / province_file('Bình Phước')} was not written: ")
    assert "Invalid Excel character" in line
    assert not out.exists() or not list(out.iterdir())


def test_many_sheets_do_not_need_a_file_open_each(tmp_path):
    """XlsxWriter's constant-memory mode keeps a file open per sheet: a province's thousands
    of units would exceed the usual limit of 1,024 open files. The workbook is built in memory."""
    result = review(load_inventory(INVENTORY))  # 96 sheets
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    already_open = len(list(Path("/proc/self/fd").iterdir()))
    resource.setrlimit(resource.RLIMIT_NOFILE, (already_open + 40, hard))
    try:
        path, _ = write_reports(result, tmp_path, TODAY, LETTERHEAD)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert len(openpyxl.load_workbook(Path(path), read_only=True).sheetnames) == 96
